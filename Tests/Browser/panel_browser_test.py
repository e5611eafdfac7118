#!/usr/bin/env python3
"""The panel in a real browser: headless Chromium driven through Selenium against a running server with the
demo data (`uplink seed --demo`). infra/browser-test.sh starts that server, FreeRADIUS and this suite.

Every step prints `ok - <step>` or stops the run with its reason, a screenshot and the page's HTML in the
output folder. A screenshot of each main page is saved there too (1366x768, and the list at phone width).
"""
import argparse
import csv
import datetime
import json
import os
import subprocess
import sys
import time
import traceback
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

DEMO = {
    "admin": "admin-demo-2026",
    "dhakanet": "dhakanet-demo-2026",
    "mirpur": "mirpur-demo-2026",
}
STAMP = datetime.datetime.now().strftime("%H%M%S")


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


class Suite:
    def __init__(self, args):
        self.base = args.base_url.rstrip("/")
        self.out = os.path.abspath(args.out)
        self.downloads = os.path.join(self.out, "downloads")
        os.makedirs(self.downloads, exist_ok=True)
        self.acct_port = args.acct_port
        self.secret = args.secret
        self.driver = None

    # --- browser -----------------------------------------------------------------------------------------

    def open_browser(self, width=1366, height=768):
        if self.driver:
            self.driver.quit()
        options = webdriver.ChromeOptions()
        options.binary_location = os.environ.get("UPLINK_CHROMIUM", "/usr/bin/chromium")
        for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                         "--lang=en-US", f"--window-size={width},{height}"]:
            options.add_argument(argument)
        options.add_experimental_option("prefs", {
            "download.default_directory": self.downloads, "download.prompt_for_download": False,
        })
        service = Service(executable_path=os.environ.get("UPLINK_CHROMEDRIVER", "/usr/bin/chromedriver"))
        self.driver = webdriver.Chrome(options=options, service=service)
        self.viewport(width, height)
        self.driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": self.downloads})
        return self.driver

    def viewport(self, width, height):
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                    {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})

    def go(self, path):
        self.driver.get(self.base + path)

    def find(self, css):
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def finds(self, css):
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def text(self):
        return self.driver.find_element(By.TAG_NAME, "body").text

    def flash(self):
        found = self.finds("#flash")
        return found[0].text if found else ""

    def shot(self, name):
        path = os.path.join(self.out, f"{name}.png")
        self.driver.save_screenshot(path)
        return path

    def accept_confirm(self):
        WebDriverWait(self.driver, 5).until(lambda d: d.switch_to.alert)
        self.driver.switch_to.alert.accept()

    def sign_in(self, username):
        self.open_browser()
        self.go("/login")
        self.find("#username").send_keys(username)
        self.find("#password").send_keys(DEMO[username])
        self.find("#sign-in").click()
        WebDriverWait(self.driver, 10).until(lambda d: d.find_elements(By.ID, "current-user"))
        check(self.find("#current-user").text == username, f"signed in as {username}: {self.find('#current-user').text}")

    def fill(self, name, value):
        field = self.find(f"[name='{name}']")
        if field.tag_name == "select":
            select = Select(field)
            if value is None:
                options = [o for o in select.options if o.get_attribute("value")]
                check(options, f"no choice for {name}")
                select.select_by_value(options[0].get_attribute("value"))
            else:
                select.select_by_visible_text(value) if not value.isdigit() else select.select_by_value(value)
        else:
            field.clear()
            field.send_keys(value)

    def add_customer(self, kind, values):
        self.go(f"/customers/new?type={kind}")
        for name, value in values.items():
            self.fill(name, value)
        self.find("#save-customer").click()
        WebDriverWait(self.driver, 10).until(lambda d: "/customers/new" not in d.current_url or d.find_elements(By.ID, "form-error")
                                             or d.find_elements(By.CSS_SELECTOR, ".field-error:not(:empty)"))
        errors = [e.text for e in self.finds(".field-error") if e.text] + [e.text for e in self.finds("#form-error")]
        check(not errors, f"{kind} form refused: {errors}")
        check("added" in self.flash(), f"{kind}: no confirmation: {self.flash()!r}")
        return int(self.driver.current_url.rstrip("/").split("/")[-1].split("?")[0])

    # --- outside the browser -----------------------------------------------------------------------------

    def api(self, method, path, token=None, body=None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method)
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read() or b"{}")

    def api_login(self, username):
        return self.api("POST", "/api/v1/auth/login", body={"username": username, "password": DEMO[username]})

    def radclient(self, status, username, session, ip, mac, seconds=0, download=0, upload=0):
        lines = [f'Acct-Status-Type = {status}', f'User-Name = "{username}"', f'Acct-Session-Id = "{session}"',
                 'NAS-IP-Address = 127.0.0.1', 'NAS-Port = 7', f'Framed-IP-Address = {ip}', f'Calling-Station-Id = "{mac}"',
                 f'Acct-Session-Time = {seconds}', f'Acct-Input-Octets = {upload}', f'Acct-Output-Octets = {download}']
        result = subprocess.run(["radclient", "-r", "2", "-t", "3", f"127.0.0.1:{self.acct_port}", "acct", self.secret],
                                input="\n".join(lines) + "\n", capture_output=True, text=True, timeout=20)
        check(result.returncode == 0 and "Accounting-Response" in result.stdout, f"radclient: {result.stdout} {result.stderr}")

    # --- the steps ---------------------------------------------------------------------------------------

    def step_admin_creates_static(self):
        self.sign_in("admin")
        check("ISP admin" in self.text(), "the top bar names the role")
        self.shot("dashboard-admin")
        self.go("/resellers")
        check("Dhaka Net" in self.find("#resellers-table").text, "the ISP's resellers")
        self.shot("resellers")
        self.static_id = self.add_customer("static_monthly", {
            "full_name": f"Static Corp {STAMP}", "username": f"web-static-{STAMP}", "phone": "01812000101",
            "package_id": None, "billing_profile_id": None, "static_ip": f"10.99.{int(STAMP[-2:]) % 250}.10",
        })
        check("Static IP" in self.text(), "the static customer's page shows its IP")
        # View as a reseller, then back.
        self.go("/resellers")
        row = [r for r in self.finds("#resellers-table tbody tr") if "Dhaka Net" in r.text][0]
        row.find_element(By.CSS_SELECTOR, "button.view-as").click()
        WebDriverWait(self.driver, 10).until(lambda d: d.find_elements(By.ID, "viewing-as"))
        check("Viewing as Dhaka Net" in self.find("#viewing-as").text, "the banner names the reseller")
        check(self.finds("#customers-table tbody tr[data-id]"), "the reseller's customers, seen by the admin")
        self.shot("view-as")
        self.find("#viewing-as button").click()
        WebDriverWait(self.driver, 10).until(lambda d: not d.find_elements(By.ID, "viewing-as"))

    def step_reseller_creates_each_type(self):
        self.sign_in("dhakanet")
        check("Reseller" in self.text() and "Dhaka Net" in self.text(), "top bar: role and tenant")
        self.shot("dashboard")
        self.daily_name = f"রহিম উদ্দিন {STAMP}"
        self.daily_user = f"web-daily-{STAMP}"
        self.daily_id = self.add_customer("pppoe_daily", {
            "full_name": self.daily_name, "username": self.daily_user, "password": "pw-daily-1", "phone": "01712000111",
            "package_id": None, "thana": "Mirpur", "district": "Dhaka", "division": "Dhaka",
        })
        check(self.daily_name in self.text(), "a Bangla name shows as typed")
        self.shot("customer-detail")
        self.monthly_user = f"web-mon-{STAMP}"
        self.monthly_id = self.add_customer("pppoe_monthly", {
            "full_name": f"Karim Monthly {STAMP}", "username": self.monthly_user, "password": "pw-mon-1", "phone": "01712000112",
            "package_id": None, "billing_profile_id": None,
        })
        self.go("/customers/new?type=hotspot")
        self.shot("customer-form")
        self.hotspot_id = self.add_customer("hotspot", {
            "full_name": f"Hotspot Guest {STAMP}", "username": f"web-hs-{STAMP}", "password": "pw-hs-1", "package_id": None,
        })
        self.other_user = f"web-other-{STAMP}"
        self.other_id = self.add_customer("other", {
            "full_name": f"Cable Only {STAMP}", "username": self.other_user, "phone": "01712000114",
        })

    def step_search(self):
        for query, expected in [(self.daily_name.split()[0], self.daily_user), ("+8801712000111", self.daily_user),
                                (self.monthly_user[:9], self.monthly_user), (f"Karim Monthly {STAMP}", self.monthly_user)]:
            self.go("/customers")
            box = self.find("#search")
            box.clear()
            box.send_keys(query)
            self.find("#search-button").click()
            WebDriverWait(self.driver, 10).until(lambda d: "q=" in d.current_url)
            check(expected in self.text(), f"search {query!r} finds {expected}")
        self.go("/customers")
        self.shot("customers")

    def step_bulk_suspend_three(self):
        # The oldest active customers (the demo's), so the ones this run made stay active.
        self.go("/customers?status=active&sort=created_at")
        boxes = self.finds("input[name=ids]")[:3]
        check(len(boxes) == 3, "three active customers to select")
        ids = [box.get_attribute("value") for box in boxes]
        for box in boxes:
            box.click()
        check("3 selected" in self.find("#selected-count").text, "the selection is counted")
        Select(self.find("#bulk-action")).select_by_value("suspend")
        self.find("#bulk-apply").click()
        self.accept_confirm()
        WebDriverWait(self.driver, 10).until(lambda d: d.find_elements(By.ID, "flash"))
        check("3 customers: suspend done" in self.flash(), f"bulk result: {self.flash()!r}")
        self.go("/customers?status=suspended&per_page=200")
        shown = {row.get_attribute("data-id") for row in self.finds("#customers-table tbody tr")}
        check(set(ids) <= shown, f"{ids} are suspended")
        self.suspended_ids = ids

    def step_recharge(self):
        self.go(f"/customers/{self.daily_id}")
        before = self.find("#customer-expires").text
        self.find("#recharge-button").click()
        WebDriverWait(self.driver, 10).until(lambda d: d.find_elements(By.ID, "flash"))
        check("Recharged" in self.flash(), f"recharge: {self.flash()!r}")
        check(self.find("#customer-expires").text != before, f"validity moved from {before}")

    def step_mac(self):
        self.go(f"/customers/{self.monthly_id}?tab=devices")
        self.find("#device-mac").send_keys("aa-bb-cc-77-00-99")
        self.find("#add-device").click()
        WebDriverWait(self.driver, 10).until(lambda d: d.find_elements(By.ID, "flash"))
        check("AA:BB:CC:77:00:99" in self.find("#devices-table").text, "the MAC is bound, normalised")
        self.go("/devices")
        check("AA:BB:CC:77:00:99" in self.text(), "the devices list shows it")
        self.shot("devices")
        self.go(f"/customers/{self.monthly_id}?tab=devices")
        self.find("button.remove-device").click()
        self.accept_confirm()
        WebDriverWait(self.driver, 10).until(lambda d: d.find_elements(By.ID, "flash"))
        check("AA:BB:CC:77:00:99" not in self.find("#devices-table").text, "the MAC is removed")

    def step_delete_and_restore(self):
        self.go(f"/customers/{self.other_id}")
        self.find("#action-delete").click()
        self.accept_confirm()
        WebDriverWait(self.driver, 10).until(lambda d: d.find_elements(By.ID, "flash"))
        check("deleted" in self.flash(), f"delete: {self.flash()!r}")
        self.go(f"/customers/deleted?q={self.other_user}")
        self.shot("deleted")
        row = self.find(f"#deleted-table tr[data-id='{self.other_id}']")
        row.find_element(By.CSS_SELECTOR, "button.restore").click()
        WebDriverWait(self.driver, 10).until(lambda d: d.find_elements(By.ID, "flash"))
        check("restored" in self.flash(), f"restore: {self.flash()!r}")
        self.go(f"/customers/{self.other_id}")
        check(self.find("#customer-status").text == "disabled", "a restored customer comes back disabled")

    def step_import_with_one_bad_row(self):
        path = os.path.join(self.out, "import.csv")
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["username", "password", "full_name", "phone", "package", "billing_profile", "type"])
            writer.writerow([f"web-imp1-{STAMP}", "pw-imp-1", "Imported One", "01712000201", "Home 20 Mbps monthly", "Monthly, cycle day 1", "pppoe_monthly"])
            writer.writerow([f"web-imp2-{STAMP}", "pw-imp-2", "Imported Two", "12345", "Home 20 Mbps monthly", "Monthly, cycle day 1", "pppoe_monthly"])
            writer.writerow([f"web-imp3-{STAMP}", "pw-imp-3", "Imported Three", "01712000203", "Home 20 Mbps monthly", "Monthly, cycle day 1", "pppoe_monthly"])
        self.go("/customers/import")
        self.find("#import-file").send_keys(path)
        self.find("#import-button").click()
        WebDriverWait(self.driver, 15).until(lambda d: d.find_elements(By.ID, "import-report"))
        self.shot("import")
        check(self.find("#import-imported").text == "2", f"imported: {self.find('#import-imported').text}")
        errors = self.find("#import-errors").text
        check("phone" in errors and "12345" in errors and "3" in errors.split("\n")[1], f"the bad row's error: {errors}")

    def step_online_after_radclient(self):
        self.radclient("Start", self.monthly_user, f"web{STAMP}", "10.77.0.9", "AA:BB:CC:77:00:01")
        # A few of the demo's customers online too, with some traffic, as a router would report them.
        for n in range(1, 7):
            session, ip, mac = f"demo{STAMP}{n}", f"10.77.1.{n}", f"AA:BB:CC:77:01:{n:02d}"
            self.radclient("Start", f"dn{n * 7}", session, ip, mac)
            self.radclient("Interim-Update", f"dn{n * 7}", session, ip, mac, seconds=n * 1900,
                           download=n * 734_003_200, upload=n * 52_428_800)
        deadline = time.time() + 15
        while True:
            self.go("/online")
            if self.monthly_user in self.find("#online-table").text:
                break
            check(time.time() < deadline, "the session shows within 15 s")
            time.sleep(1)
        check("10.77.0.9" in self.find("#online-table").text, "with its IP")
        self.shot("online")
        self.go(f"/customers?q={self.monthly_user}")
        check(self.finds(f"#customers-table tr[data-id='{self.monthly_id}'] .dot.online"), "the list shows the online dot")

    def step_btrc_csv(self):
        today = datetime.date.today()
        self.go(f"/reports/btrc?from={today.replace(day=1).isoformat()}&to={today.isoformat()}")
        self.shot("btrc")
        for name in os.listdir(self.downloads):
            os.remove(os.path.join(self.downloads, name))
        self.find("#btrc-csv").click()
        deadline = time.time() + 15
        while True:
            files = [f for f in os.listdir(self.downloads) if f.endswith(".csv")]
            if files:
                break
            check(time.time() < deadline, "the CSV downloads")
            time.sleep(0.3)
        with open(os.path.join(self.downloads, files[0]), encoding="utf-8-sig") as handle:
            rows = list(csv.reader(handle))
        check(len(rows) > 1, f"the CSV has a header and rows: {len(rows)} lines")
        check(any(self.daily_name in cell for row in rows for cell in row), "this month's new customer is listed")

    def step_sub_reseller_sees_only_its_own(self):
        token = self.api_login("dhakanet")["token"]
        mirpur = self.api_login("mirpur")["user"]["operator_id"]
        expected = set()
        page = 1
        while True:
            answer = self.api("GET", f"/api/v1/customers?operator_id={mirpur}&status=all&per_page=200&page={page}", token)
            expected |= {item["username"] for item in answer["items"]}
            if page * 200 >= answer["total"]:
                break
            page += 1
        self.sign_in("mirpur")
        self.shot("dashboard-sub-reseller")
        shown = set()
        page = 1
        while True:
            self.go(f"/customers?status=all&per_page=200&page={page}")
            shown |= {cell.text for cell in self.finds("#customers-table tbody td.username")}
            if not self.finds("#next-page"):
                break
            page += 1
        check(shown and shown <= expected, f"only Mirpur Cable's customers: {sorted(shown - expected)[:5]}")
        self.go(f"/customers/{self.daily_id}")
        check("Not found" in self.text() and self.daily_name not in self.text(), "another operator's customer is not found")
        self.go("/online")
        check(self.monthly_user not in self.text(), "nor its sessions")

    def step_csrf_is_required(self):
        self.sign_in("dhakanet")
        status = self.driver.execute_async_script("""
            const done = arguments[arguments.length - 1];
            fetch('/zones', {method: 'POST', body: new URLSearchParams({name: 'csrf-probe'})}).then(r => done(r.status));
        """)
        check(status == 403, f"a post without the token answers 403, not {status}")
        self.driver.execute_script("""
            const form = document.createElement('form');
            form.method = 'post'; form.action = '/customers/bulk';
            const field = document.createElement('input');
            field.name = 'bulk_action'; field.value = 'suspend'; form.appendChild(field);
            document.body.appendChild(form); form.submit();
        """)
        WebDriverWait(self.driver, 10).until(lambda d: "Form expired" in d.find_element(By.TAG_NAME, "body").text)
        self.go("/zones")
        check("csrf-probe" not in self.text(), "and nothing was made")
        self.shot("zones")

    def step_main_pages(self):
        for name, path in [("packages", "/packages"), ("customers-suspended", "/customers?status=suspended")]:
            self.go(path)
            check("Something went wrong" not in self.text(), f"{path} renders")
            self.shot(name)
        self.go(f"/customers/{self.monthly_id}?tab=activity")
        check("device_added" in self.text(), "the activity tab lists the device change")
        self.shot("customer-activity")
        self.viewport(390, 844)
        self.go("/customers")
        self.shot("customers-phone")
        menu = self.find(".menu-button")
        check(menu.is_displayed(), "the phone layout has a menu button")
        self.viewport(1366, 768)

    def step_billing_and_account_pages(self):
        for name, path, marker in [("invoices", "/billing/invoices", "#invoices-table"), ("payments", "/billing/payments", "#payments-table"),
                                   ("wallet", "/billing/wallet", "#wallet-balance"), ("summary", "/billing/summary", "#summary-collected"),
                                   ("suspensions", "/billing/suspensions", "#suspensions-table"), ("activity", "/activity", "#activity-log"),
                                   ("tokens", "/tokens", "#tokens-table"), ("custom-fields", "/custom-fields", "#custom-fields-table")]:
            self.go(path)
            check(self.finds(marker), f"{path} shows {marker}: {self.text()[:200]!r}")
            self.shot(name)
        self.go("/billing/invoices?status=paid")
        check("INV-" in self.find("#invoices-table").text, "the demo's paid invoices are listed")
        self.go("/tokens")
        self.find("#token-form input[name=name]").send_keys("Browser token")
        self.find("#token-form input[value='customers:read']").click()
        self.find("#token-form button[type=submit]").click()
        WebDriverWait(self.driver, 10).until(lambda d: d.find_elements(By.ID, "token-secret"))
        secret = self.find("#token-secret").text
        check(secret.startswith("upk_"), "the new token's secret is shown once")
        self.go("/tokens")
        check(secret not in self.driver.page_source, "and never again")
        self.go("/sub-resellers")
        check("Mirpur Cable" in self.find("#sub-resellers-table").text, "the reseller's sub-resellers")
        self.shot("sub-resellers")
        self.go("/routers")
        check(self.finds("#routers-table"), "the routers page")

    def run(self):
        steps = [name for name in dir(self) if name.startswith("step_")]
        order = ["step_admin_creates_static", "step_reseller_creates_each_type", "step_search", "step_bulk_suspend_three",
                 "step_recharge", "step_mac", "step_delete_and_restore", "step_import_with_one_bad_row",
                 "step_online_after_radclient", "step_btrc_csv", "step_csrf_is_required", "step_main_pages",
                 "step_billing_and_account_pages",
                 "step_sub_reseller_sees_only_its_own"]
        check(sorted(order) == sorted(steps), "every step is in the order")
        started = time.time()
        try:
            for name in order:
                began = time.time()
                getattr(self, name)()
                print(f"ok - {name[5:].replace('_', ' ')} ({time.time() - began:.1f} s)", flush=True)
        except Exception as error:  # noqa: BLE001 - every failure is reported the same way
            print(f"not ok - {name[5:].replace('_', ' ')}: {error}", flush=True)
            if not isinstance(error, Failure):
                traceback.print_exc()
            if self.driver:
                print(f"  at {self.driver.current_url}; see {self.shot('FAILED-' + name)}", flush=True)
                with open(os.path.join(self.out, f"FAILED-{name}.html"), "w", encoding="utf-8") as handle:
                    handle.write(self.driver.page_source)
            return 1
        finally:
            if self.driver:
                self.driver.quit()
        print(f"browser suite: {len(order)} steps passed in {time.time() - started:.1f} s; screenshots in {self.out}")
        return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--acct-port", type=int, required=True)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--out", required=True)
    sys.exit(Suite(parser.parse_args()).run())


if __name__ == "__main__":
    main()
