/* The studio editor, enhanced: problems and a preview update as the author types
   (a debounced POST of the unsaved text to the check endpoint; nothing is saved),
   problems link to their line in the textarea, and the caret's line is shown.
   Without JavaScript the editor works through its form posts. No framework. */
(function () {
  "use strict";
  var form = document.getElementById("editor-form");
  var source = document.getElementById("source");
  if (!form || !source) { return; }
  var problemsBox = document.getElementById("live-problems");
  var previewSection = document.getElementById("live-preview-section");
  var previewBox = document.getElementById("live-preview");
  var caret = document.getElementById("caret");
  var url = form.getAttribute("data-check-url");
  var timer = null;
  var pending = null;

  function lineStart(text, line) {
    var index = 0;
    for (var n = 1; n < line; n += 1) {
      var next = text.indexOf("\n", index);
      if (next === -1) { return text.length; }
      index = next + 1;
    }
    return index;
  }

  function goToLine(line) {
    var text = source.value;
    var start = lineStart(text, line);
    var end = text.indexOf("\n", start);
    source.focus();
    source.setSelectionRange(start, end === -1 ? text.length : end);
    var lineHeight = parseFloat(window.getComputedStyle(source).lineHeight) || 20;
    source.scrollTop = Math.max(0, (line - 3) * lineHeight);
    showCaret();
  }

  function showCaret() {
    if (!caret) { return; }
    var before = source.value.slice(0, source.selectionStart);
    var lines = before.split("\n");
    caret.textContent = "Cursor: line " + lines.length + ", column " + (lines[lines.length - 1].length + 1) + ".";
  }

  function problemItem(problem) {
    var li = document.createElement("li");
    li.className = "problem problem-" + problem.severity;
    var badge = document.createElement("span");
    badge.className = "badge " + (problem.severity === "error" ? "badge-fail" : "badge-progress");
    badge.textContent = (problem.severity === "error" ? "Error " : "Warning ") + problem.code;
    var link = document.createElement("button");
    link.type = "button";
    link.className = "button-link problem-where";
    link.textContent = problem.path + ":" + problem.line;
    link.setAttribute("aria-label", "Go to line " + problem.line + " of " + problem.path);
    link.addEventListener("click", function () { goToLine(problem.line); });
    var message = document.createElement("span");
    message.className = "problem-message";
    message.textContent = " " + problem.message;
    li.appendChild(badge);
    li.appendChild(document.createTextNode(" "));
    li.appendChild(link);
    li.appendChild(message);
    return li;
  }

  function showProblems(data) {
    var mine = data.problems.filter(function (p) { return p.path === data.path; });
    problemsBox.textContent = "";
    var status = document.createElement("p");
    status.className = "meta";
    status.textContent = "Checked as you type (not saved yet): " + mine.length +
      " problem" + (mine.length === 1 ? "" : "s") + " in this file, " + data.errors +
      " error" + (data.errors === 1 ? "" : "s") + " in the draft.";
    problemsBox.appendChild(status);
    if (mine.length) {
      var list = document.createElement("ul");
      list.className = "problem-list";
      mine.forEach(function (p) { list.appendChild(problemItem(p)); });
      problemsBox.appendChild(list);
    }
  }

  function check() {
    var body = new FormData();
    body.append("csrf_token", form.elements.csrf_token.value);
    body.append("path", form.elements.path.value);
    body.append("text", source.value);
    if (pending) { pending.abort(); }
    pending = new AbortController();
    fetch(url, {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "Accept": "application/json" }, signal: pending.signal
    }).then(function (response) {
      if (!response.ok) { throw new Error("check failed: " + response.status); }
      return response.json();
    }).then(function (data) {
      showProblems(data);
      // The server renders this from sanitised Markdown (nh3); the CSP runs no inline script.
      previewBox.innerHTML = data.preview;
      previewSection.hidden = false;
    }).catch(function (error) {
      if (error.name !== "AbortError") {
        problemsBox.setAttribute("data-stale", "true");
      }
    });
  }

  // Line numbers beside the textarea (lines do not wrap, so each number sits
  // beside its line); hidden from screen readers, which hear the caret line.
  var gutter = document.createElement("pre");
  gutter.className = "source-gutter";
  gutter.setAttribute("aria-hidden", "true");
  source.parentNode.insertBefore(gutter, source);
  var style = window.getComputedStyle(source);
  gutter.style.paddingTop = style.paddingTop;
  gutter.style.paddingBottom = style.paddingBottom;
  gutter.style.borderTopWidth = style.borderTopWidth;
  function numberLines() {
    var count = source.value.split("\n").length;
    var numbers = [];
    for (var n = 1; n <= count; n += 1) { numbers.push(n); }
    gutter.textContent = numbers.join("\n");
    gutter.scrollTop = source.scrollTop;
  }
  source.addEventListener("scroll", function () { gutter.scrollTop = source.scrollTop; });
  source.addEventListener("input", numberLines);
  numberLines();

  source.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(check, 600);
  });
  ["keyup", "click", "focus"].forEach(function (name) { source.addEventListener(name, showCaret); });
  document.querySelectorAll("a[data-line]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      goToLine(parseInt(link.getAttribute("data-line"), 10));
    });
  });
  check();
}());
