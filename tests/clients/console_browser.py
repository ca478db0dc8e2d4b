"""The operator console in headless Chromium (Debian's chromium and
chromedriver, driven by selenium): log in, search, ask, assess an incident,
draft a report and download its .docx. Screenshots go to OUT_DIR.

Usage: console_browser.py BASE_URL TOKEN OUT_DIR
Prints one JSON line with what the page showed.
"""
import json
import os
import sys
import tempfile
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

base, token, out = sys.argv[1], sys.argv[2], sys.argv[3]
os.makedirs(out, exist_ok=True)
out = os.path.abspath(out)
downloads = os.path.join(out, "downloads")
os.makedirs(downloads, exist_ok=True)

opts = webdriver.ChromeOptions()
opts.binary_location = os.environ.get("EMKG_CHROMIUM", "/usr/bin/chromium")
# The flags that keep Chromium off the (closed) network and quiet.
for flag in [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--window-size=1280,1000",
    "--user-data-dir=" + tempfile.mkdtemp(prefix="emkg-chromium-"),
]:
    opts.add_argument(flag)
opts.add_experimental_option("prefs", {
    "download.default_directory": downloads,
    "download.prompt_for_download": False,
    "safebrowsing.enabled": False,
})
service = Service(executable_path=os.environ.get("EMKG_CHROMEDRIVER", "/usr/bin/chromedriver"))
driver = webdriver.Chrome(options=opts, service=service)
wait = WebDriverWait(driver, 180)
seen = {}
shots = []


def shot(name):
    path = os.path.join(out, name + ".png")
    driver.save_screenshot(path)
    shots.append(path)


def text_of(css):
    return driver.find_element(By.CSS_SELECTOR, css).text


try:
    driver.get(base + "/")
    wait.until(EC.visibility_of_element_located((By.ID, "token")))
    shot("01-login")
    # A wrong token is refused on the page.
    driver.find_element(By.ID, "token").send_keys("emkg_00000000_wrong")
    driver.find_element(By.ID, "login").click()
    wait.until(lambda d: d.find_element(By.ID, "login-error").text.strip() != "")
    seen["bad_login"] = text_of("#login-error")
    driver.find_element(By.ID, "token").clear()
    driver.find_element(By.ID, "token").send_keys(token)
    driver.find_element(By.ID, "login").click()
    wait.until(EC.visibility_of_element_located((By.ID, "app")))
    seen["whoami"] = text_of("#whoami")

    # Search, with the evidence highlighted and citation links.
    driver.find_element(By.ID, "q").send_keys("生产安全事故报告 单位负责人 1小时")
    driver.find_element(By.ID, "search-btn").click()
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#search-results .hit"))
    seen["hits"] = len(driver.find_elements(By.CSS_SELECTOR, "#search-results .hit"))
    seen["marks"] = len(driver.find_elements(By.CSS_SELECTOR, "#search-results mark"))
    seen["first_citation"] = text_of("#search-results .hit a.cite")
    shot("02-search")

    # Ask: streamed text, then the checked answer with verified citations.
    driver.find_element(By.CSS_SELECTOR, "nav button[data-tab=ask]").click()
    driver.find_element(By.ID, "question").send_keys("生产安全事故发生后，事故现场有关人员应当怎么报告？")
    driver.find_element(By.ID, "ask-btn").click()
    wait.until(lambda d: d.find_element(By.ID, "ask-answer").text.strip() != "")
    seen["streamed"] = text_of("#ask-stream")
    seen["answer"] = text_of("#ask-answer")
    seen["verified_marks"] = len(driver.find_elements(By.CSS_SELECTOR, "#ask-citations .cite-ok"))
    shot("03-ask")

    # An incident typed in: its grade, deadline and the facts marked in the text.
    driver.find_element(By.CSS_SELECTOR, "nav button[data-tab=incident]").click()
    driver.find_element(By.ID, "incident-text").send_keys(
        "2026年11月29日9时20分许，示例区某化工有限公司仓库发生爆炸事故，造成3人死亡、8人受伤，直接经济损失约1500万元。"
    )
    driver.find_element(By.ID, "assess-btn").click()
    wait.until(EC.visibility_of_element_located((By.ID, "grade")))
    seen["grade"] = text_of("#grade")
    seen["fact_marks"] = len(driver.find_elements(By.CSS_SELECTOR, "#assess-result mark"))
    shot("04-incident")

    # A report drafted from it, and its .docx downloaded.
    driver.find_element(By.ID, "to-report").click()
    wait.until(EC.visibility_of_element_located((By.ID, "draft-text")))
    seen["draft_head"] = text_of("#draft-text")[:200]
    driver.find_element(By.ID, "docx-btn").click()
    wait.until(EC.visibility_of_element_located((By.ID, "docx-done")))
    deadline = time.time() + 60
    docx = None
    while time.time() < deadline:
        done = [f for f in os.listdir(downloads) if f.endswith(".docx")]
        if done:
            docx = os.path.join(downloads, done[0])
            break
        time.sleep(0.2)
    if docx:
        with open(docx, "rb") as f:
            seen["docx_magic"] = f.read(2).decode("latin-1")
        seen["docx_bytes"] = os.path.getsize(docx)
    shot("05-report")
finally:
    seen["screenshots"] = shots
    driver.quit()

print(json.dumps(seen, ensure_ascii=False))
