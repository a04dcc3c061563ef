"""Simulated trainees for ``bench/load.py`` (locust, headless, loopback only).

Each user signs in through the real form, then, with 5-15 s of reading between
pages, browses the catalog and modules, reads lessons and marks them complete,
takes the post-test (start, form, submit) and plays a vignette. Only a 5xx or a
broken connection counts as an error; a refusal such as "no attempts left" is a
normal page.
"""

from __future__ import annotations

import itertools
import os
import random
import re
import threading

from locust import HttpUser, between, task

EMAILS = os.environ.get("KAPTRAIN_BENCH_EMAILS", "").split(",")
PASSWORD = os.environ.get("KAPTRAIN_BENCH_PASSWORD", "")
MODULES = os.environ.get("KAPTRAIN_BENCH_MODULES", "").split(",")
_next = itertools.count()
_lock = threading.Lock()

TOKEN = re.compile(
    r'name="csrf_token"[^>]*value="([^"]+)"|'
    r'name="csrf_token" value="([^"]+)"'
)
LINK = re.compile(r'href="(/modules/[^"/?#]+/[^"/?#]+)"')
FIELD = re.compile(r'name="(q-[^"]+)"[^>]*?value="(\d+)"')
CHOICE = re.compile(r'name="choice" value="([^"]+)"')
STEP = re.compile(r'name="step" value="(\d+)"')


def _token(html: str) -> str:
    match = TOKEN.search(html)
    return (match.group(1) or match.group(2)) if match else ""


class Trainee(HttpUser):
    wait_time = between(5, 15)

    def on_start(self) -> None:
        with _lock:
            email = EMAILS[next(_next) % len(EMAILS)]
        page = self.client.get("/login", name="/login")
        self.client.post(
            "/login",
            data={
                "csrf_token": _token(page.text),
                "email": email,
                "password": PASSWORD,
            },
            name="/login [POST]",
        )
        self.token = ""
        self.items: dict[str, list[str]] = {}

    def _get(self, path: str, name: str) -> str:
        with self.client.get(path, name=name, catch_response=True) as response:
            if response.status_code >= 500 or response.status_code == 0:
                response.failure(f"{response.status_code}")
            else:
                response.success()
            text = response.text or ""
        token = _token(text)
        if token:
            self.token = token
        return text

    def _post(self, path: str, data: dict, name: str) -> str:
        data = {"csrf_token": self.token, **data}
        with self.client.post(path, data=data, name=name, catch_response=True) as r:
            if r.status_code >= 500 or r.status_code == 0:
                r.failure(f"{r.status_code}")
            else:
                r.success()
            text = r.text or ""
        token = _token(text)
        if token:
            self.token = token
        return text

    def _module(self) -> str:
        module = random.choice(MODULES)
        if module not in self.items:
            page = self._get(f"/modules/{module}", "/modules/[module]")
            self.items[module] = list(dict.fromkeys(LINK.findall(page)))
        return module

    @task(2)
    def catalog(self) -> None:
        self._get("/modules", "/modules")

    @task(2)
    def module(self) -> None:
        module = random.choice(MODULES)
        self._get(f"/modules/{module}", "/modules/[module]")

    @task(1)
    def progress(self) -> None:
        self._get("/progress", "/progress")

    @task(6)
    def lesson(self) -> None:
        module = self._module()
        paths = [p for p in self.items[module] if "test" not in p and "case" not in p]
        if not paths:
            return
        path = random.choice(paths)
        page = self._get(f"{path}?note=seen", "/modules/[module]/[item]")
        if "/complete" in page and random.random() < 0.5:
            self._post(f"{path}/complete", {}, "/modules/[module]/[lesson]/complete")

    @task(1)
    def quiz(self) -> None:
        module = self._module()
        quiz = next((p for p in self.items[module] if p.endswith("-test")), None)
        if quiz is None:
            return
        page = self._post(f"{quiz}/start", {"kind": "post"}, "/[quiz]/start")
        fields = dict(reversed(FIELD.findall(page)))
        if not fields:
            return
        url = re.search(r'action="([^"]*/attempts/\d+)"', page)
        if url:
            self._post(url.group(1), fields, "/[quiz]/attempts/[id] [submit]")

    @task(1)
    def vignette(self) -> None:
        module = self._module()
        cases = [p for p in self.items[module] if "case" in p]
        if not cases:
            return
        page = self._post(f"{random.choice(cases)}/runs", {}, "/[vignette]/runs")
        for _ in range(3):
            action = re.search(r'action="([^"]*/runs/\d+)"', page)
            step = STEP.search(page)
            if not action or not step:
                return
            choices = CHOICE.findall(page)
            data = {"step": step.group(1)}
            if choices:
                data["choice"] = random.choice(choices)
            else:
                data["skip"] = "1"
            page = self._post(action.group(1), data, "/[vignette]/runs/[id] [step]")
