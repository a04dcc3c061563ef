/* Passkeys (WebAuthn), progressive enhancement: the forms stay hidden unless
   the browser supports passkeys; the code field always works without this. */
(function () {
  "use strict";
  if (!window.PublicKeyCredential || !navigator.credentials) return;

  function toBytes(value) {
    var text = value.replace(/-/g, "+").replace(/_/g, "/");
    while (text.length % 4) text += "=";
    var raw = atob(text), out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out.buffer;
  }
  function toText(buffer) {
    var bytes = new Uint8Array(buffer), raw = "";
    for (var i = 0; i < bytes.length; i++) raw += String.fromCharCode(bytes[i]);
    return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function fetchOptions(form) {
    var token = form.querySelector('input[name="csrf_token"]').value;
    return fetch(form.dataset.optionsUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": token, "Accept": "application/json" }
    }).then(function (response) {
      if (!response.ok) throw new Error("options");
      return response.json();
    });
  }
  function list(items) {
    return (items || []).map(function (item) {
      return { type: item.type, id: toBytes(item.id), transports: item.transports };
    });
  }
  function wire(form, run) {
    form.hidden = false;
    var note = document.querySelector(".js-passkey-unsupported");
    if (note) note.hidden = true;
    form.addEventListener("submit", function (event) {
      if (form.elements.credential.value) return;
      event.preventDefault();
      fetchOptions(form).then(run).then(function (credential) {
        form.elements.credential.value = JSON.stringify(credential);
        form.submit();
      }).catch(function () {
        form.elements.credential.value = "";
        var message = form.querySelector(".js-passkey-error");
        if (!message) {
          message = document.createElement("p");
          message.className = "error-message js-passkey-error";
          message.setAttribute("role", "alert");
          form.appendChild(message);
        }
        message.textContent = "The passkey did not work. Try again, or use a code from your app.";
      });
    });
  }

  var login = document.querySelector(".js-passkey-login");
  if (login) {
    wire(login, function (options) {
      options.challenge = toBytes(options.challenge);
      options.allowCredentials = list(options.allowCredentials);
      return navigator.credentials.get({ publicKey: options }).then(function (c) {
        return {
          id: c.id, rawId: toText(c.rawId), type: c.type,
          response: {
            clientDataJSON: toText(c.response.clientDataJSON),
            authenticatorData: toText(c.response.authenticatorData),
            signature: toText(c.response.signature),
            userHandle: c.response.userHandle ? toText(c.response.userHandle) : null
          },
          clientExtensionResults: c.getClientExtensionResults()
        };
      });
    });
  }

  var register = document.querySelector(".js-passkey-register");
  if (register) {
    wire(register, function (options) {
      options.challenge = toBytes(options.challenge);
      options.user.id = toBytes(options.user.id);
      options.excludeCredentials = list(options.excludeCredentials);
      return navigator.credentials.create({ publicKey: options }).then(function (c) {
        return {
          id: c.id, rawId: toText(c.rawId), type: c.type,
          response: {
            clientDataJSON: toText(c.response.clientDataJSON),
            attestationObject: toText(c.response.attestationObject),
            transports: c.response.getTransports ? c.response.getTransports() : []
          },
          clientExtensionResults: c.getClientExtensionResults()
        };
      });
    });
  }
})();
