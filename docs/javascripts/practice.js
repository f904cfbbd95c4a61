// Practice answers checked on the page, with the verdicts and the feedback of `pytest practice`.
//
// `PracticeChecker` mirrors practice/check.py line for line (parse_entry, matches, feedback)
// over data the build computed from the exercise definitions (site_build/practice_page.py):
// each reference answer with its tolerance, each known mistake with its value and diagnosis.
// tests/test_practice_page_checker.py feeds the same answers to both and compares.
// The learner's answers are kept in localStorage; the Practice page re-checks them on every
// visit, and the lesson pages mark the exercises already done in their "Practice:" lines.
"use strict";

const PracticeChecker = (() => {
  const NUMBER = "number", NUMBERS = "numbers", CHOICE = "choice", CHOICES = "choices";
  // Python's float() on a string: digits with single underscores between them, an optional
  // fraction and exponent; "inf" and "nan" parse but are not finite, so they are no answer.
  const DIGITS = "\\d(?:_?\\d)*";
  const FLOAT = new RegExp(`^[+-]?(?:${DIGITS}(?:\\.(?:${DIGITS})?)?|\\.${DIGITS})(?:[eE][+-]?${DIGITS})?$`);

  class EntryError extends Error {}

  function repr(text) {  // Python's repr of a str, for the usual cases
    if (text.includes("'") && !text.includes('"')) return `"${text}"`;
    return `'${text.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
  }

  function number(raw) {
    if (typeof raw !== "string") return null;
    const text = raw.trim();
    if (!FLOAT.test(text)) return null;
    const value = Number(text.replace(/_/g, ""));
    return Number.isFinite(value) ? value : null;
  }

  function label(raw) {
    return String(raw).trim().replace(/^[()]+|[()]+$/g, "").toLowerCase();
  }

  function labelLiterals(exercise) {  // as the sheet writes them: unit numbers bare, other labels quoted
    return exercise.labels.map((l) => (/^\d+$/.test(l) ? l : `"${l}"`)).join(", ");
  }

  // practice.check.parse_entry: the entry in normal form, null when blank.
  function parseEntry(exercise, raw) {
    if (typeof raw === "string" && !raw.trim()) return null;
    if (exercise.kind === NUMBER) {
      const value = number(raw);
      if (value === null) throw new EntryError(`expected a number such as 0.25, got ${repr(String(raw))}`);
      return value;
    }
    if (exercise.kind === NUMBERS) {
      const length = exercise.answer.length;
      if (!Array.isArray(raw)) throw new EntryError(`expected a list of ${length} numbers in square brackets, got ${repr(String(raw))}`);
      if (raw.length !== length) throw new EntryError(`expected a list of ${length} numbers, got ${raw.length}`);
      const values = raw.map(number);
      values.forEach((value, i) => {
        if (value === null) throw new EntryError(`entry ${i + 1} of the list is not a number: ${repr(String(raw[i]))}`);
      });
      return values;
    }
    const labels = Array.isArray(raw) ? raw : [raw];
    if (exercise.kind === CHOICE && labels.length !== 1) {
      throw new EntryError(`expected one label out of ${labelLiterals(exercise)}, got a list`);
    }
    const known = new Set(exercise.labels.map((l) => l.toLowerCase()));
    const chosen = labels.map(label);
    chosen.forEach((l, i) => {
      if (!known.has(l)) throw new EntryError(`${repr(String(labels[i]))} is not one of the labels ${labelLiterals(exercise)}`);
    });
    return exercise.kind === CHOICE ? chosen[0] : [...new Set(chosen)].sort();
  }

  // practice.exercise.Exercise.matches, with each target's tolerance computed by the build.
  function matches(exercise, value, target, tolerance) {
    if (exercise.kind === NUMBER) return Math.abs(value - target) <= tolerance;
    if (exercise.kind === NUMBERS) {
      return value.length === target.length && value.every((v, i) => Math.abs(v - target[i]) <= tolerance[i]);
    }
    if (exercise.kind === CHOICE) return value === target;
    return value.length === target.length && value.every((v, i) => v === target[i]);  // both sorted
  }

  // Python's format(x, "g"): six significant digits, trailing zeros dropped, an exponent
  // below 1e-4 and from 1e6 on.
  function formatG(x) {
    if (x === 0) return Object.is(x, -0) ? "-0" : "0";
    const [mantissa, exponentText] = x.toExponential(5).split("e");
    const exponent = Number(exponentText);
    const sign = mantissa.startsWith("-") ? "-" : "";
    const digits = mantissa.replace(/^-/, "").replace(".", "");
    if (exponent < -4 || exponent >= 6) {
      const shown = `${digits[0]}.${digits.slice(1)}`.replace(/\.?0+$/, "");
      return `${sign}${shown}e${exponent < 0 ? "-" : "+"}${String(Math.abs(exponent)).padStart(2, "0")}`;
    }
    let text;
    if (exponent >= 0) text = `${digits.slice(0, exponent + 1)}.${digits.slice(exponent + 1)}`;
    else text = `0.${"0".repeat(-exponent - 1)}${digits}`;
    return sign + text.replace(/0+$/, "").replace(/\.$/, "");
  }

  function direction(value, target) {
    return value > target ? "too high" : "too low";
  }

  function showLabels(exercise, chosen) {
    const set = new Set(Array.isArray(chosen) ? chosen : [chosen]);
    return exercise.labels.filter((l) => set.has(l.toLowerCase())).join(", ");
  }

  // practice.check.feedback, without its last line (where the hint is), which the page words itself.
  function feedback(exercise, value) {
    const mistake = exercise.mistakes.find((m) => matches(exercise, value, m.value, m.tolerance));
    const diagnosis = mistake ? mistake.diagnosis : null;
    const target = exercise.answer;
    let said;
    if (exercise.kind === NUMBER) {
      said = `You wrote ${formatG(value)}, which is ${direction(value, target)}.`;
    } else if (exercise.kind === NUMBERS) {
      const off = value
        .map((v, i) => [v, i])
        .filter(([v, i]) => !(Math.abs(v - target[i]) <= exercise.tolerance[i]))
        .map(([v, i]) => `entry ${i + 1} (you wrote ${formatG(v)}) is ${direction(v, target[i])}`);
      said = `In your list, ${off.join("; ")}.`;
    } else if (exercise.kind === CHOICE) {
      said = `You chose ${showLabels(exercise, value)}.`;
    } else {
      said = `You listed ${showLabels(exercise, value) || "nothing"}.`;
      if (diagnosis === null) {  // how many are wrong, never which
        const extra = value.filter((v) => !target.includes(v)).length;
        const missing = target.filter((t) => !value.includes(t)).length;
        if (extra) said += ` ${extra} of them should not be on the list.`;
        if (missing) said += ` ${missing} ${missing === 1 ? "is" : "are"} missing.`;
      }
    }
    return [said, diagnosis].filter(Boolean).join("\n");
  }

  // practice.check.check_entry: {status: "right" | "wrong" | "invalid" | "not attempted", message}.
  function check(exercise, raw) {
    let value;
    try {
      value = parseEntry(exercise, raw);
    } catch (error) {
      if (error instanceof EntryError) return { status: "invalid", message: `${error.message}.` };
      throw error;
    }
    if (value === null) return { status: "not attempted", message: "" };
    if (matches(exercise, value, exercise.answer, exercise.tolerance)) return { status: "right", message: "" };
    return { status: "wrong", message: feedback(exercise, value) };
  }

  return { check, formatG };
})();

// --- The learner's progress, in this browser ---------------------------------------------
const PracticeProgress = (() => {
  const KEY = "deep-nets-wont-train/practice";  // {exercise id: {answer, status}}

  function load() {
    try {
      const saved = JSON.parse(localStorage.getItem(KEY) || "{}");
      return saved && typeof saved === "object" && !Array.isArray(saved) ? saved : {};
    } catch (error) {
      return {};  // storage disabled, or not ours to read: start afresh
    }
  }

  function save(progress) {
    try {
      localStorage.setItem(KEY, JSON.stringify(progress));
    } catch (error) {
      // Private browsing may refuse storage: the checking still works, the progress is not kept.
    }
  }

  function clear() {
    try {
      localStorage.removeItem(KEY);
    } catch (error) { /* nothing was kept */ }
  }

  return { load, save, clear };
})();

// --- The Practice page ----------------------------------------------------------------------
function practiceSection(form) {
  // The elements of one exercise: from its heading to the next one.
  const elements = [];
  let heading = form;
  while (heading && heading.tagName !== "H2") heading = heading.previousElementSibling;
  for (let el = heading && heading.nextElementSibling; el && el.tagName !== "H2"; el = el.nextElementSibling) elements.push(el);
  return { heading, elements };
}

function buildForm(form, exercise) {
  const id = exercise.id;
  const section = practiceSection(form);
  const inputs = [];
  if (exercise.kind === "number" || exercise.kind === "numbers") {
    const count = exercise.kind === "number" ? 1 : exercise.answer.length;
    const group = document.createElement("div");
    group.className = "practice-entries";
    for (let i = 0; i < count; i += 1) {
      const field = document.createElement("label");
      const input = document.createElement("input");
      Object.assign(input, { type: "text", id: `answer-${id}-${i + 1}`, autocomplete: "off", spellcheck: false });
      input.setAttribute("autocapitalize", "off");
      field.append(count === 1 ? "Answer " : `Entry ${i + 1} `, input);
      group.append(field);
      inputs.push(input);
    }
    form.append(group);
  } else {
    const fieldset = document.createElement("fieldset");
    const legend = document.createElement("legend");
    legend.textContent = exercise.kind === "choice" ? "Choose one:" : "Choose every option that applies:";
    fieldset.append(legend);
    const descriptions = section.elements.filter((el) => el.classList.contains("practice-options"))
      .flatMap((el) => [...el.querySelectorAll("li")]);
    exercise.labels.forEach((text, i) => {
      const field = document.createElement("label");
      const input = document.createElement("input");
      Object.assign(input, { type: exercise.kind === "choice" ? "radio" : "checkbox", name: `answer-${id}`, value: text });
      if (descriptions[i]) {
        descriptions[i].id = descriptions[i].id || `option-${id}-${i + 1}`;
        input.setAttribute("aria-describedby", descriptions[i].id);
      }
      field.append(input, ` (${text})`);
      fieldset.append(field);
      inputs.push(input);
    });
    form.append(fieldset);
  }
  const button = document.createElement("button");
  button.type = "submit";
  button.className = "md-button md-button--primary";
  button.textContent = "Check";
  const feedback = document.createElement("div");
  feedback.className = "practice-feedback";
  feedback.setAttribute("role", "status");
  form.append(button, feedback);
  const folded = (kind) => section.elements.find((el) => el.tagName === "DETAILS" && el.classList.contains(kind));
  return { exercise, form, inputs, feedback, hint: folded("tip"), solution: folded("success"), heading: section.heading };
}

function readAnswer(widget) {
  const { exercise, inputs } = widget;
  if (exercise.kind === "number") return inputs[0].value;
  if (exercise.kind === "numbers") {
    const values = inputs.map((input) => input.value);
    return values.every((v) => !v.trim()) ? "" : values;  // nothing typed: not attempted, as "" in the sheet
  }
  const chosen = inputs.filter((input) => input.checked).map((input) => input.value);
  if (exercise.kind === "choice") return chosen.length ? chosen[0] : "";
  return chosen;
}

function writeAnswer(widget, answer) {
  const { exercise, inputs } = widget;
  if (exercise.kind === "number") inputs[0].value = typeof answer === "string" ? answer : "";
  else if (exercise.kind === "numbers") inputs.forEach((input, i) => { input.value = Array.isArray(answer) ? String(answer[i] ?? "") : ""; });
  else {
    const chosen = new Set(Array.isArray(answer) ? answer : [answer]);
    inputs.forEach((input) => { input.checked = chosen.has(input.value); });
  }
}

function showVerdict(widget, result) {
  const { feedback, heading } = widget;
  feedback.replaceChildren();
  feedback.dataset.status = result.status;
  heading.classList.toggle("practice-done", result.status === "right");
  if (result.status === "not attempted") return;
  const verdict = document.createElement("p");
  verdict.className = "practice-verdict";
  verdict.textContent = { right: "Right.", wrong: "Not yet.", invalid: "Can't read that answer." }[result.status];
  feedback.append(verdict);
  const lines = result.message ? result.message.split("\n") : [];
  if (result.status === "invalid") lines[0] = lines[0][0].toUpperCase() + lines[0].slice(1);
  for (const line of lines) {
    const p = document.createElement("p");
    p.textContent = line;
    feedback.append(p);
  }
  // Wrong: where the hint is. Right: the worked solution, to compare the route as well as the result.
  const [details, label] = result.status === "wrong" ? [widget.hint, "Show the hint"]
    : result.status === "right" ? [widget.solution, "Compare with the worked solution"] : [null, null];
  if (details) {
    const p = document.createElement("p");
    const open = document.createElement("button");
    open.type = "button";
    open.className = "practice-hint-link";
    open.textContent = label;
    open.addEventListener("click", () => {
      details.open = true;
      details.querySelector("summary").focus();
    });
    p.append(open, " (also folded under this exercise).");
    feedback.append(p);
  }
}

function initPracticePage(dataElement) {
  const exercises = JSON.parse(dataElement.textContent);
  const byId = Object.fromEntries(exercises.map((e) => [e.id, e]));
  const progress = PracticeProgress.load();
  const count = document.querySelector(".practice-count");
  const bar = document.querySelector(".practice-progress progress");

  function showProgress() {
    const done = exercises.filter((e) => progress[e.id] && progress[e.id].status === "right").length;
    if (count) count.textContent = `${done}/${exercises.length} done`;
    if (bar) Object.assign(bar, { max: exercises.length, value: done });
  }

  const widgets = [];
  document.querySelectorAll("form.practice-form[data-exercise]").forEach((form) => {
    const exercise = byId[form.dataset.exercise];
    if (!exercise) return;
    const widget = buildForm(form, exercise);
    widgets.push(widget);
    const saved = progress[exercise.id];
    if (saved) {
      writeAnswer(widget, saved.answer);
      // Checked again with today's data: a changed exercise never keeps a stale verdict.
      const result = PracticeChecker.check(exercise, saved.answer);
      progress[exercise.id] = { answer: saved.answer, status: result.status };
      showVerdict(widget, result);
    }
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const answer = readAnswer(widget);
      const result = PracticeChecker.check(exercise, answer);
      if (result.status === "not attempted") {
        delete progress[exercise.id];
        showVerdict(widget, { status: "invalid", message: "Type an answer first." });
      } else {
        progress[exercise.id] = { answer, status: result.status };
        showVerdict(widget, result);
      }
      PracticeProgress.save(progress);
      showProgress();
    });
    // Enter checks from any field, a radio button or a checkbox included.
    form.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && event.target.tagName === "INPUT") {
        event.preventDefault();
        form.requestSubmit();
      }
    });
    form.hidden = false;
  });

  const reset = document.querySelector(".practice-reset");
  if (reset) {
    reset.addEventListener("click", () => {
      for (const id of Object.keys(progress)) delete progress[id];
      PracticeProgress.clear();
      widgets.forEach((widget) => {
        writeAnswer(widget, "");
        showVerdict(widget, { status: "not attempted", message: "" });
      });
      showProgress();
    });
  }
  PracticeProgress.save(progress);
  showProgress();
  document.querySelectorAll(".practice-online").forEach((el) => { el.hidden = false; });
}

// --- The lesson pages: the "Practice:" lines mark what is done --------------------------------
function markDoneExercises() {
  const progress = PracticeProgress.load();
  document.querySelectorAll('.md-content a[href*="practice/#ex-"]').forEach((link) => {
    const id = link.hash.replace("#ex-", "");
    const done = progress[id] && progress[id].status === "right";
    link.classList.toggle("practice-link-done", Boolean(done));
    if (done && !link.querySelector(".practice-done-mark")) {
      const mark = document.createElement("span");
      mark.className = "practice-done-mark";
      mark.textContent = " ✓";
      mark.setAttribute("aria-label", " (done)");
      mark.setAttribute("role", "img");
      link.append(mark);
    }
  });
}

function initPractice() {
  const data = document.getElementById("practice-data");
  if (data) initPracticePage(data);
  markDoneExercises();
}

// Material's instant navigation swaps pages without reloading; document$ announces each one.
if (typeof document$ !== "undefined") document$.subscribe(initPractice);
else if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", initPractice);
else initPractice();
