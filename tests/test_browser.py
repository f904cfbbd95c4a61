"""The built site in a real browser (Debian's Chromium driven by Playwright), served on 127.0.0.1."""

import functools
import http.server
import io
import os
import re
import shutil
import threading
from pathlib import Path
from typing import NamedTuple

import pytest

from tests.test_site import nav_pages, page_html

# Debian's headless shell where installed: the same engine without a browser's UI, and 40% less
# CPU than the full browser in headless mode for these pages; else the full browser.
CHROMIUM = shutil.which("chromium-headless-shell") or shutil.which("chromium") or "/usr/bin/chromium"
if not Path(CHROMIUM).exists():
    if os.environ.get("CI"):
        raise RuntimeError("CI needs Debian's chromium package (.ci/run installs it)")
    pytest.skip("no Chromium on this machine (apt-get install chromium)", allow_module_level=True)

from axe_playwright_python.sync_playwright import Axe  # noqa: E402
from playwright.sync_api import Page, sync_playwright  # noqa: E402
from playwright.sync_api import TimeoutError as PlaywrightTimeout  # noqa: E402

PAGE_BUDGET = 1.5 * 1024 * 1024  # bytes: a lesson page with its figures, in one colour scheme

# Figures load lazily, and only in the scheme that shows them: load every one now.
LOAD_EVERY_IMAGE = """async () => {
  const images = [...document.querySelectorAll("article img")];
  images.forEach((image) => { image.loading = "eager"; });
  await Promise.all(images.map((image) => image.decode().catch(() => null)));
  return images.map((i) => ({src: i.src.slice(0, 80), alt: i.alt, width: i.naturalWidth, shown: i.checkVisibility()}));
}"""


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        """Not a line on stderr for each of the thousand-odd requests."""


@pytest.fixture(scope="module")
def server(built_site):
    handler = functools.partial(QuietHandler, directory=str(built_site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            # Slight hinting, as the full browser has it from Linux's font settings: the headless
            # shell would otherwise draw a formula 4 px wider than tests/reference holds.
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--font-render-hinting=slight"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    yield page
    context.close()


def urls():
    for src in nav_pages():
        stem = src.removesuffix(".md").removesuffix(".ipynb")
        yield src, "/" if stem == "index" else f"/{stem}/"


class Opened(NamedTuple):
    src: str
    page: Page
    errors: list[str]  # console errors and uncaught exceptions since the page was opened
    foreign: list[str]  # requests since then to any host but this machine


@pytest.fixture(scope="module")
def opened(request, browser, server):
    """A page of the site opened, shared by the tests that only look at it.

    Opening a page costs the browser a second or two of CPU, so each is opened once, in the
    light scheme: the parameter is module-scoped, so pytest runs the tests of one page one after
    the other, and only that page is open. A test that needs a scheme switches to it (`in_scheme`).
    """
    src, path = request.param
    context = browser.new_context(color_scheme="light")
    page = context.new_page()
    errors, foreign = [], []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("request", lambda request: request.url.startswith(("http://127.0.0.1", "data:")) or foreign.append(request.url))
    # Loaded, not yet settled: the test that needs every request made waits for the network's
    # half second of quiet itself (test_page_loads_cleanly…), after the page's other checks.
    page.goto(server + path, wait_until="load")
    yield Opened(src, page, errors, foreign)
    context.close()


def every_page(test):
    """Run a test on `opened` for every page of the nav."""
    cases = list(urls())
    return pytest.mark.parametrize("opened", cases, ids=[f"{src}-{path}" for src, path in cases], indirect=True)(test)


SCHEMES = {"light": "default", "dark": "slate"}  # Material's names for them


def in_scheme(page: Page, scheme: str) -> Page:
    """The page in `scheme`, switched with the header's toggle as a reader switches it.

    Every style of the site, the notebook pages' included, follows the body's
    data-md-color-scheme, which the toggle sets; only the choice made on a first visit follows
    the system's preference (test_dark_mode_toggle_works_and_persists). Colours that ease into
    the new scheme have finished before this returns.
    """
    if page.get_attribute("body", "data-md-color-scheme") != SCHEMES[scheme]:
        page.locator("form[data-md-component=palette] label:visible").first.click()
    assert page.get_attribute("body", "data-md-color-scheme") == SCHEMES[scheme]
    page.wait_for_function("() => document.getAnimations().every((a) => a.playState !== 'running')")
    return page


def test_page_sizes_within_budget(built_site, capsys):
    rows = []
    for src, _ in urls():
        html = page_html(built_site, src)
        images = re.findall(r'<img[^>]+src="([^"#]+\.png)(#only-light|#only-dark)?"', html.read_text())
        size = html.stat().st_size + max(  # a reader's browser fetches one scheme's figures
            sum((html.parent / image).resolve().stat().st_size for image, only in images if only != skip)
            for skip in ("#only-light", "#only-dark")
        )
        rows.append((src, size))
    with capsys.disabled():
        print("\npage sizes (HTML + figures):")
        for src, size in rows:
            print(f"  {size / 1024:8.0f} KiB  {src}")
    over = [(src, size) for src, size in rows if size > PAGE_BUDGET]
    assert not over, f"pages over 1.5 MB: {over}"


def test_dark_mode_toggle_works_and_persists(page, server):
    page.goto(server + "/", wait_until="networkidle")
    before = page.get_attribute("body", "data-md-color-scheme")
    page.locator("form[data-md-component=palette] label:visible").first.click()
    after = page.get_attribute("body", "data-md-color-scheme")
    assert {before, after} == {"default", "slate"}
    page.goto(server + "/confident-start/", wait_until="networkidle")
    assert page.get_attribute("body", "data-md-color-scheme") == after


@pytest.fixture(scope="module")
def home(browser, server):
    """The home page, opened once for the searches."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(server + "/", wait_until="networkidle")
    yield page
    context.close()


@pytest.mark.parametrize("word, expected", [("saturation", "saturated-neurons"), ("kaiming", "healthy-depth"), ("batchnorm", "batchnorm")])
def test_search_finds_the_lesson_pages(home, word, expected):
    page = home
    page.keyboard.press("Escape")  # out of the search box, should an earlier search have left it open
    page.keyboard.press("/")  # Material's shortcut to the search box
    page.keyboard.press("Control+A")
    page.keyboard.type(word)
    offered = "(page) => [...document.querySelectorAll('.md-search-result__item a')].some((a) => new URL(a.href).pathname.endsWith(page))"
    try:
        page.wait_for_function(offered, arg=f"/{expected}/", timeout=5000)
    except PlaywrightTimeout:
        links = page.eval_on_selector_all(".md-search-result__item a", "links => links.map(a => a.href)")
        raise AssertionError(f"searching {word!r} does not offer /{expected}/: {links}") from None


def test_initialisation_explorer_responds_to_the_keyboard(page, server):
    page.goto(server + "/healthy-depth/", wait_until="networkidle")
    explorer = page.locator("[data-widget=explorer]")
    assert explorer.is_visible()
    first_std = lambda: explorer.locator("tbody tr").nth(4).locator("td").nth(2).inner_text()  # noqa: E731
    at_five_thirds = first_std()
    slider = explorer.locator("input[type=range]")
    slider.focus()
    for _ in range(6):
        page.keyboard.press("ArrowLeft")
    assert explorer.locator("output").inner_text() == "0.25"
    collapsed = first_std()
    assert float(collapsed) < float(at_five_thirds) / 5
    explorer.locator("input[type=checkbox]").focus()
    page.keyboard.press("Space")
    assert abs(float(first_std()) - float(at_five_thirds)) < 0.2, "BatchNorm restores the spread"


def test_batchnorm_widget_responds_to_the_keyboard(page, server):
    page.goto(server + "/batchnorm/", wait_until="networkidle")
    widget = page.locator("[data-widget=batchnorm]")
    assert widget.is_visible()
    before = widget.locator(".bn-stats").inner_text()
    widget.locator("input[type=range]").focus()
    page.keyboard.press("PageUp")
    page.keyboard.press("ArrowRight")
    after = widget.locator(".bn-stats").inner_text()
    assert before != after and "batch mean" in after


def test_widgets_fall_back_to_static_figures_without_javascript(browser, server):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(server + "/healthy-depth/")
    assert not page.locator("[data-widget=explorer]").is_visible()
    assert page.locator("article img").count() >= 4
    context.close()


def test_flashcard_flips_with_the_keyboard(page, server):
    page.goto(server + "/flashcards/", wait_until="networkidle")
    counter = page.locator(".flashcards-count")
    assert counter.inner_text().startswith("1 /")
    page.keyboard.press("ArrowRight")
    assert counter.inner_text().startswith("2 /")
    back = page.locator(".flashcard:visible .flashcard-back")
    assert not back.is_visible()
    page.keyboard.press("Space")
    assert back.is_visible()
    page.keyboard.press("Enter")
    assert not back.is_visible()


def serious_violations(page: Page, within: str | None = None) -> list[dict]:
    """axe-core's serious and critical violations on the page as it is now: every rule, on every
    element of the page or of the part `within` selects, each code block's repeated tokens aside.

    A lesson script's page holds about 2,000 highlighted tokens in a dozen styles per block, and
    axe's time grows with every element on the page, even one outside `within` (a code page took
    1.9 CPU-s, and 0.7 with its repeats as plain text). So while axe runs, each block keeps the
    first token of each look (colour, background, font) and the rest are their text: every look
    is checked, on the block it is shown on. Then the block has all its tokens back.
    """
    if not page.evaluate("typeof axe === 'object'"):  # the page keeps it from one run to the next
        page.evaluate(Axe().axe_script)
    page.evaluate(KEEP_ONE_TOKEN_OF_EACH_LOOK)
    try:
        results = page.evaluate("([context, options]) => axe.run(context ?? document, options)",
                                [within, {"resultTypes": ["violations"]}])
    finally:
        page.evaluate("() => window.putTokensBack()")
    return [v for v in results["violations"] if v["impact"] in ("serious", "critical")]


KEEP_ONE_TOKEN_OF_EACH_LOOK = """() => {
  // Every look is read before any token changes: a change makes the next read restyle the page.
  const blocks = [...document.querySelectorAll("pre")].map((block) => {
    const tokens = [...block.children].filter((child) => child.tagName === "SPAN" && !child.firstElementChild);
    return [block, tokens, tokens.map((token) => {
      const style = getComputedStyle(token);
      return [style.color, style.backgroundColor, style.font, style.opacity, style.textShadow, style.textDecoration].join(";");
    })];
  });
  const changed = [];
  for (const [block, tokens, looks] of blocks) {
    const html = block.innerHTML, seen = new Set();
    tokens.forEach((token, i) => {
      if (seen.has(looks[i])) token.replaceWith(token.textContent);
      else seen.add(looks[i]);
    });
    if (seen.size < tokens.length) {
      block.normalize();
      changed.push([block, html]);
    }
  }
  window.putTokensBack = () => changed.forEach(([block, html]) => { block.innerHTML = html; });
}"""


def test_a_serious_violation_is_reported(page):
    page.set_content('<html lang="en"><title>t</title><main><p style="color: #777; background: #888">grey on grey</p>'
                     '<p id="readable">black on white</p></main></html>')
    assert [v["id"] for v in serious_violations(page)] == ["color-contrast"]
    assert serious_violations(page, within="#readable") == []


def test_a_code_blocks_tokens_are_checked_once_for_each_look_and_all_put_back(page):
    tokens = '<span class="k">def</span> f(x)\n' * 50 + '<span class="k" style="color: #999">return</span> x\n'
    page.set_content(f'<html lang="en"><title>t</title><main><pre>{tokens}</pre></main></html>')
    before = page.inner_html("pre")
    found = [(v["id"], [node["html"] for node in v["nodes"]]) for v in serious_violations(page)]
    assert found == [("color-contrast", ['<span class="k" style="color: #999">return</span>'])]
    assert page.inner_html("pre") == before


@every_page
@pytest.mark.parametrize("scheme", SCHEMES)
def test_no_serious_accessibility_violations(opened, scheme):
    serious = [f"{v['id']} ({v['impact']}): {v['help']}" for v in serious_violations(in_scheme(opened.page, scheme))]
    assert not serious, f"{opened.src} ({scheme}): {serious}"


@every_page
def test_no_figure_is_a_light_box_in_the_dark_scheme(opened):
    src, page = opened.src, in_scheme(opened.page, "dark")
    page.evaluate(LOAD_EVERY_IMAGE)
    # The mean lightness of each shown figure's border (0 black … 255 white).
    borders = page.evaluate("""() => [...document.querySelectorAll("article img")].filter((i) => i.checkVisibility()).map((image) => {
      const canvas = document.createElement("canvas");
      [canvas.width, canvas.height] = [image.naturalWidth, image.naturalHeight];
      const context = canvas.getContext("2d");
      context.drawImage(image, 0, 0);
      const { data } = context.getImageData(0, 0, canvas.width, canvas.height);
      let sum = 0, count = 0;
      for (let x = 0; x < canvas.width; x += 1) for (const y of [0, canvas.height - 1]) {
        const k = 4 * (y * canvas.width + x);
        sum += (data[k] + data[k + 1] + data[k + 2]) / 3; count += 1;
      }
      return [image.src.split("/").pop(), sum / count];
    })""")
    light = [(name, round(level)) for name, level in borders if level > 100]
    assert not light, f"{src}: figures with a light background in the dark scheme: {light}"
    assert all("dark" in name for name, _ in borders), borders


# Defined after the page's other checks, so that pytest runs it after them: by then the page has
# usually been quiet on the network for long enough, and the wait for it returns at once.
@every_page
def test_page_loads_cleanly_with_images_alt_text_and_typeset_math(opened):
    src, page = opened.src, opened.page
    page.wait_for_load_state("networkidle")  # every request the page makes by itself has been made
    assert not opened.errors, f"{src}: console errors {opened.errors}"
    assert not opened.foreign, f"{src}: requests to other hosts {opened.foreign}"
    images = page.evaluate(LOAD_EVERY_IMAGE)
    for image in images:
        assert image["width"] > 0, f"{src}: {image['src']} did not load"
        assert image["alt"].strip() and "No description has been provided" not in image["alt"], f"{src}: {image['src']} has no alt text"
    text = page.inner_text("article")
    assert not re.search(r"\\\(|\\\)|\\\[|\\\]|\$\$", text), f"{src}: raw TeX left in the page"


# ---------------------------------------------------------------------------------------
# Practice on the page: keyboard only, feedback without the answer, progress kept


def first_of_kind(kind):
    from practice.exercises import EXERCISES

    return next(exercise for exercise in EXERCISES if exercise.kind == kind)


def tab_to(page, selector, presses=60, key="Tab"):
    """Press Tab (or `key`, Shift+Tab to go back) until the focus is on the first element that
    matches `selector`, as a keyboard user would."""
    for _ in range(presses):
        if page.evaluate("(s) => document.activeElement === document.querySelector(s)", selector):
            return
        page.keyboard.press(key)
    raise AssertionError(f"{key} never reached {selector}")


def answer_renderings(exercise):
    values = exercise.answer if isinstance(exercise.answer, tuple) else [exercise.answer]
    shown = {exercise.precision.format(x) for x in values} | {f"{x:.4g}" for x in values}
    return {text for text in shown if len(text) >= 4}  # "1.0" or "0.4" also occur in ordinary text


def type_numbers(page, exercise, values, key="Tab"):
    """Tab into the exercise's first box (Shift+Tab back to it from a later one), then type each
    value, Tab between boxes."""
    tab_to(page, f"form[data-exercise='{exercise.id}'] input", key=key)
    for i, value in enumerate(values):
        if i:
            page.keyboard.press("Tab")
        page.keyboard.press("Control+A")
        page.keyboard.type(value)
    page.keyboard.press("Enter")


@pytest.mark.parametrize("kind", ["number", "numbers"])
def test_practice_numbers_checked_on_the_page_with_the_keyboard(page, server, kind):
    exercise = first_of_kind(kind)
    feedback = page.locator(f"form[data-exercise='{exercise.id}'] .practice-feedback")
    page.goto(f"{server}/practice/#ex-{exercise.id}", wait_until="networkidle")
    answer = exercise.answer if kind == "numbers" else (exercise.answer,)
    wrong = [exercise.precision.format(x * 1.5 + 1) for x in answer]
    type_numbers(page, exercise, wrong)
    assert "Not yet." in feedback.inner_text() and ("too high" in feedback.inner_text())
    visible = page.inner_text("article")
    for text in answer_renderings(exercise):
        assert text not in visible, f"the expected value {text} is on the page"
    type_numbers(page, exercise, [exercise.precision.format(x) for x in answer], key="Shift+Tab")  # corrected in place
    assert feedback.inner_text().startswith("Right.")


def test_practice_choice_known_mistake_named_and_progress_kept_across_reloads(page, server):
    exercise = first_of_kind("choice")
    wrong, diagnosis = exercise.known_mistakes()[0]
    labels = [label.lower() for label in exercise.options]
    form = page.locator(f"form[data-exercise='{exercise.id}']")
    page.goto(f"{server}/practice/#ex-{exercise.id}", wait_until="networkidle")
    start = page.inner_text(".practice-count")
    assert re.fullmatch(r"0/\d+ done", start)

    def choose(label):
        tab_to(page, f"form[data-exercise='{exercise.id}'] input[type=radio]")
        for _ in labels:  # arrows move the choice within the group
            if page.evaluate("() => document.activeElement.value.toLowerCase()") == label:
                break
            page.keyboard.press("ArrowRight")
        page.keyboard.press("Space")
        page.keyboard.press("Enter")

    choose(wrong)
    text = form.locator(".practice-feedback").inner_text()
    assert "Not yet." in text and diagnosis in text and "hint" in text.lower()
    assert f"({exercise.answer})" not in text.lower()
    page.goto(f"{server}/practice/#ex-{exercise.id}", wait_until="networkidle")
    choose(exercise.answer)
    assert form.locator(".practice-feedback").inner_text().startswith("Right.")
    assert page.inner_text(".practice-count").startswith("1/")
    page.reload(wait_until="networkidle")
    assert page.inner_text(".practice-count").startswith("1/")
    assert form.locator(".practice-feedback").inner_text().startswith("Right.")
    # Another page marks the exercise as done in its "Practice:" line.
    page.goto(f"{server}/{exercise.section.split('#')[0].removesuffix('.md')}/", wait_until="networkidle")
    assert page.locator(f"a[href$='practice/#ex-{exercise.id}'] .practice-done-mark").count() >= 1
    # Start over, by keyboard too.
    page.goto(f"{server}/practice/", wait_until="networkidle")
    page.locator(".practice-reset").focus()
    page.keyboard.press("Enter")
    assert page.inner_text(".practice-count") == start


def test_practice_page_without_javascript_tells_how_to_check_with_pytest(browser, server):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(server + "/practice/")
    text = page.inner_text("article")
    assert "pytest practice" in text
    assert not page.locator("form.practice-form").first.is_visible()
    assert not page.locator(".practice-online").is_visible()
    context.close()


# ---------------------------------------------------------------------------------------
# Math: the site's own math font, and formulas that look as they should

FORMULA = r"\hat{x}_i = \frac{x_i - \mu}{\sqrt{\sigma^2 + \epsilon}}, \quad \sum_{i=1}^{n} x_i"
FORMULA_REFERENCE = Path(__file__).with_name("reference") / "formula.png"


@every_page
def test_pages_with_math_load_the_math_font_from_the_site(opened, server):
    src, page = opened.src, opened.page
    if not page.locator("article math").count():
        return
    fonts = page.evaluate("""async () => {
      await document.fonts.ready;
      return [...document.fonts].filter((f) => f.status === "loaded").map((f) => f.family.replace(/"/g, ""));
    }""")
    assert "STIX Two Math" in fonts, f"{src}: {fonts}"
    served = page.evaluate("() => performance.getEntriesByType('resource').map((r) => r.name).filter((n) => n.endsWith('.woff2'))")
    assert served and all(url.startswith(server) for url in served), served
    label = page.locator("article math").first.get_attribute("aria-label")
    assert label and label.strip(), f"{src}: a formula without text for a screen reader"


def test_a_formula_looks_as_it_did(browser, server):
    """Typeset with the site's font and styles, compared with a stored screenshot, within a tolerance.

    After a deliberate change of the look, UPDATE_REFERENCE=1 stores a new reference.
    """
    from PIL import Image, ImageChops, ImageStat

    from site_build.math import render_math

    context = browser.new_context(viewport={"width": 800, "height": 600}, device_scale_factor=2, color_scheme="light")
    page = context.new_page()
    page.goto(server + "/", wait_until="networkidle")
    formula = render_math(f'<p id="formula-under-test"><span class="arithmatex">\\( {FORMULA} \\)</span></p>')
    page.evaluate("""async (html) => {
      document.querySelector("article").insertAdjacentHTML("afterbegin", html);
      await document.fonts.load('16px "STIX Two Math"');
      await document.fonts.ready;
    }""", formula)
    shot = page.locator("#formula-under-test math").screenshot()
    context.close()
    if os.environ.get("UPDATE_REFERENCE"):
        FORMULA_REFERENCE.parent.mkdir(exist_ok=True)
        FORMULA_REFERENCE.write_bytes(shot)
    image = Image.open(io.BytesIO(shot)).convert("L")
    reference = Image.open(FORMULA_REFERENCE).convert("L")
    assert abs(image.width - reference.width) <= 2 and abs(image.height - reference.height) <= 2, (image.size, reference.size)
    size = (min(image.width, reference.width), min(image.height, reference.height))
    difference = ImageChops.difference(image.crop((0, 0, *size)), reference.crop((0, 0, *size)))
    mean = ImageStat.Stat(difference).mean[0]
    assert mean < 12, f"the formula looks different from {FORMULA_REFERENCE.name}: mean difference {mean:.1f}/255"


def test_the_flashcards_page_offers_the_deck_for_anki(page, server, tmp_path):
    import sqlite3
    import zipfile

    from flashcards.anki import note_guid
    from flashcards.deck import load_deck

    page.goto(server + "/flashcards/", wait_until="networkidle")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the deck for Anki").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.suffix == ".apkg"
    with zipfile.ZipFile(saved) as archive:
        (tmp_path / "collection.anki2").write_bytes(archive.read("collection.anki2"))
    with sqlite3.connect(tmp_path / "collection.anki2") as connection:
        guids = [guid for (guid,) in connection.execute("SELECT guid FROM notes")]
    assert guids == [note_guid(card.id) for card in load_deck()]


def test_practice_feedback_is_accessible_in_both_schemes(page, server):
    exercise = first_of_kind("number")
    page.goto(f"{server}/practice/", wait_until="networkidle")
    field = page.locator(f"form[data-exercise='{exercise.id}'] input")
    field.fill(exercise.precision.format(exercise.answer * 2 + 1))
    field.press("Enter")
    assert page.locator(f"form[data-exercise='{exercise.id}'] .practice-feedback").inner_text().startswith("Not yet.")
    # The feedback, in the form it appeared in: test_no_serious_accessibility_violations checks the
    # rest of the page. The other exercises leave this test's page first, since axe's time grows
    # with every element on the page, even outside the part it checks, and thousands are formulas.
    form = f"form[data-exercise='{exercise.id}']"
    page.evaluate("""(form) => {
      for (let kept = document.querySelector(form); !kept.matches("article"); kept = kept.parentElement)
        [...kept.parentElement.children].forEach((other) => other === kept || other.remove());
    }""", form)
    for scheme in SCHEMES:
        serious = [f"{v['id']}: {v['help']} {[n['target'] for n in v['nodes']]}" for v in serious_violations(in_scheme(page, scheme), within=form)]
        assert not serious, f"{scheme}: {serious}"
