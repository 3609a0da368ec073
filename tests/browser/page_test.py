#!/usr/bin/env python3
"""The web page in a real browser: chromium driven by chromedriver through selenium.

Each step waits for the page's own state (body[data-state] = done or error, see
http/page/page.js), never for a time budget. A screenshot of every state is kept in the working
directory. Exits 77 (ctest SKIP_RETURN_CODE) when chromium, chromedriver or selenium is missing:
install them with scripts/setup.sh --browser.

    page_test.py --sonnetd PATH --model PATH
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

SKIP = 77
SCHEME = "ABABCDCDEFEFGG"


def skip(reason):
    print("SKIPPED: " + reason + " (install with scripts/setup.sh --browser)")
    sys.exit(SKIP)


try:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError:
    skip("selenium is not importable by " + sys.executable + " (Debian package python3-selenium)")


def find(*names):
    for n in names:
        p = shutil.which(n)
        if p:
            return p
    return None


class Daemon:
    """A sonnetd with the HTTP API on a free port and its own cloud."""

    def __init__(self, sonnetd, model, workdir, extra=()):
        self.log = open(os.path.join(workdir, "sonnetd.log"), "w+")
        self.proc = subprocess.Popen(
            [sonnetd, "--port=0", "--http-port=auto", "--db=" + os.path.join(workdir, "sonnets.db"),
             "--model=" + model, *extra], stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            self.log.seek(0)
            m = re.search(r"http listening on [0-9.]+:([0-9]+)", self.log.read())
            if m:
                self.base = "http://127.0.0.1:" + m.group(1)
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        self.log.seek(0)
        raise RuntimeError("sonnetd did not start: " + self.log.read())

    def call(self, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=120) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def in_flight(self):
        _, text = self.call("/metrics")
        m = re.search(r"^sonnet_http_requests_in_flight (\S+)$", text, re.M)
        return float(m.group(1)) if m else -1

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()


class Page:
    def __init__(self, chromium, chromedriver, workdir):
        opts = webdriver.ChromeOptions()
        opts.binary_location = chromium
        for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  "--no-first-run", "--disable-background-networking", "--disable-sync",
                  "--disable-component-update", "--window-size=1200,1800",
                  "--user-data-dir=" + os.path.join(workdir, "chromium-profile")):
            opts.add_argument(a)
        self.d = webdriver.Chrome(service=Service(executable_path=chromedriver), options=opts)
        self.shots = []

    def settled(self, timeout=180):
        """Waits for the page's own end state (done or error) and returns it."""
        WebDriverWait(self.d, timeout, poll_frequency=0.1).until(
            lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-state") in ("done", "error"))
        return self.attr("body", "data-state")

    def attr(self, css, name):
        return self.d.find_element(By.CSS_SELECTOR, css).get_attribute(name)

    def all(self, css):
        return self.d.find_elements(By.CSS_SELECTOR, css)

    def text(self, css):
        return self.d.find_element(By.CSS_SELECTOR, css).text

    def shot(self, name):
        path = os.path.abspath(name + ".png")
        height = self.d.execute_script("return document.documentElement.scrollHeight")
        width = self.d.get_window_size()["width"]
        self.d.set_window_size(width, max(800, height + 100))
        self.d.save_screenshot(path)
        self.shots.append(path)


def check(cond, what):
    if not cond:
        raise AssertionError(what)
    print("ok: " + what)


def check_reading(p, sid=None):
    lines = p.all("#lines li.line")
    check(len(lines) == 14, "14 analysed lines (got %d)" % len(lines))
    letters = "".join(li.get_attribute("data-letter") for li in lines)
    check(letters == SCHEME, "rhyme letters ABAB CDCD EFEF GG (got %s)" % letters)
    check(all(int(li.get_attribute("data-syllables")) > 0 for li in lines), "syllable counts")
    check(len(p.all("#lines .marks span")) > 14 * 5, "stress marks over the words")
    check(len(p.all("#scores .bar")) == 3, "structure, meter and rhyme bars")
    check(len(p.all("#judgement svg.gauge")) == 1, "the dissonance gauge")
    if sid is not None:
        check(p.attr("#reading", "data-id") == str(sid), "the reading shows sonnet #%s" % sid)


def test_sonnet(p, daemon):
    p.d.get(daemon.base + "/?prompt=the%20sea%20at%20night&seed=3&candidates=2")
    check(p.settled() == "done", "a sonnet is written (state done): " + p.text("#status"))
    check_reading(p)
    params = p.text("#params")
    check("seed" in params and "3" in params and "candidates" in params and "temperature" in params,
          "temperature, seed and candidates are shown")
    p.shot("1-sonnet")
    return int(p.attr("#reading", "data-id"))


def test_again_and_chart(p, daemon):
    first = p.attr("#reading", "data-id")
    first_text = p.text("#lines")
    p.d.find_element(By.ID, "again").click()
    check(p.settled() == "done", "again with the same seed")
    check(p.attr("#reading", "data-id") != first, "a new sonnet id")
    check(p.text("#lines") == first_text, "the same seed writes the same sonnet")
    for seed in (4, 5):
        status, _ = daemon.call("/v1/sonnets", {"prompt": "the moon", "seed": seed})
        check(status == 200, "sonnet written through the API")
    _, stats = daemon.call("/v1/stats")
    count = json.loads(stats)["sonnet_count"]
    p.d.get(daemon.base + "/")
    WebDriverWait(p.d, 60, poll_frequency=0.1).until(lambda d: p.attr("#cloud", "data-state") in ("loaded", "error"))
    check(p.attr("#cloud", "data-state") == "loaded", "the cloud is drawn: " + p.text("#stats"))
    check(p.attr("#chart", "data-buckets") == str(count), "one bucket per sonnet")
    check(len(p.all("#chart circle.pt")) == count, "the chart has one point per stored sonnet (%d)" % count)
    check(p.text("#stats").startswith(str(count) + " sonnets"), "the cloud's stats")
    p.shot("2-chart")
    return count


def test_history(p, daemon, count):
    WebDriverWait(p.d, 60).until(lambda d: len(p.all("#recent a")) == count)
    link = p.all("#recent a")[-1]  # the oldest: not the one shown last
    target = link.get_attribute("href").rsplit("/", 1)[1]
    link.send_keys(Keys.ENTER)  # by keyboard
    WebDriverWait(p.d, 60, poll_frequency=0.1).until(lambda d: p.attr("#reading", "data-id") == target)
    check(p.settled() == "done", "history opens a stored sonnet")
    check_reading(p, target)
    check(p.d.current_url.endswith("#/sonnets/" + target), "its permalink is in the address bar")
    check(len(p.all("#chart line.current")) == 1, "the chart marks the sonnet shown")
    p.shot("3-history")
    p.d.get("about:blank")
    p.d.get(daemon.base + "/#/sonnets/" + target)  # the permalink, fresh
    check(p.settled() == "done", "the permalink opens the sonnet")
    check_reading(p, target)
    p.d.set_window_size(390, 900)  # a phone
    wide = p.d.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
    check(wide <= 0, "nothing wider than a phone-width window (overflow %spx)" % wide)
    p.shot("4-phone")
    p.d.set_window_size(1200, 1800)


def test_busy(p, daemon):
    """429: the daemon runs with --http-max-in-flight=1 and a long request holds the slot."""
    stop = threading.Event()

    def hold():  # back to back, so the slot is free only between two requests
        while not stop.is_set():
            daemon.call("/v1/sonnets", {"prompt": "the sea", "seed": 11, "candidates": 16})

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        p.d.get(daemon.base + "/")
        WebDriverWait(p.d, 60).until(lambda d: p.attr("#cloud", "data-state") in ("loaded", "error"))
        p.d.find_element(By.ID, "prompt").send_keys("the sea")
        WebDriverWait(p.d, 60, poll_frequency=0.01).until(lambda d: daemon.in_flight() == 1)
        p.d.find_element(By.ID, "submit").click()
        check(p.settled() == "error", "the page shows an error state")
        check(p.attr("body", "data-error-status") == "429", "for a 429")
        status = p.text("#status")
        check("busy" in status and "try again" in status.lower(), "saying what to do: " + status)
        check(p.d.find_element(By.ID, "submit").is_enabled(), "the form can be sent again")
        p.shot("5-busy-429")
    finally:
        stop.set()
        holder.join()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sonnetd", required=True)
    ap.add_argument("--model", required=True)
    args = ap.parse_args()
    chromium = find("chromium", "chromium-browser", "google-chrome")
    chromedriver = find("chromedriver")
    if not chromium:
        skip("no chromium")
    if not chromedriver:
        skip("no chromedriver (Debian package chromium-driver)")
    t0 = time.monotonic()
    for old in os.listdir("."):  # this run's screenshots only
        if old.endswith(".png"):
            try:
                os.remove(old)
            except FileNotFoundError:
                pass
    work = tempfile.mkdtemp(prefix="sonnet-browser-")
    daemon = Daemon(args.sonnetd, args.model, work, ["--http-max-in-flight=1"])
    page = None
    try:
        page = Page(chromium, chromedriver, work)
        sid = test_sonnet(page, daemon)
        check(sid == 1, "the first sonnet is #1")
        count = test_again_and_chart(page, daemon)
        test_history(page, daemon, count)
        test_busy(page, daemon)
    except Exception:
        if page:
            try:
                page.shot("failure")
                print("page state: %s; status: %s" % (page.attr("body", "data-state"), page.text("#status")))
            except Exception as e:  # the browser itself failed
                print("no screenshot: %s" % e)
        daemon.log.seek(0)
        print("sonnetd log:\n" + daemon.log.read()[-3000:])
        raise
    finally:
        if page:
            page.d.quit()
        daemon.stop()
        shutil.rmtree(work, ignore_errors=True)
    print("screenshots: " + ", ".join(page.shots))
    print("browser test passed in %.1f s" % (time.monotonic() - t0))


if __name__ == "__main__":
    main()
