// The Flashcards page: turns the list of cards into a deck, one card at a time.
// Without this script every card shows as a list with its answer, which is the fallback.
// No network, no library: flip, previous/next, shuffle and a progress count.
(function () {
  "use strict";

  function setUpDeck(deck) {
    const cards = Array.from(deck.querySelectorAll(".flashcard"));
    if (cards.length === 0) return;
    const order = cards.map((_, index) => index);
    let position = 0;
    let flipped = false;

    const toolbar = document.createElement("div");
    toolbar.className = "flashcards-toolbar";
    const previous = button("← Previous", "Previous card");
    const flip = button("Show answer", null);
    const next = button("Next →", "Next card");
    const shuffle = button("Shuffle", "Shuffle the cards");
    flip.classList.add("md-button--primary");
    // The visible count is "3 / 34"; screen readers hear "Card 3 of 34" whenever it changes.
    const count = document.createElement("span");
    count.className = "flashcards-count";
    count.setAttribute("aria-hidden", "true");
    const announcement = document.createElement("span");
    announcement.className = "flashcards-visually-hidden";
    announcement.setAttribute("aria-live", "polite");
    toolbar.append(previous, flip, next, shuffle, count, announcement);
    deck.parentNode.insertBefore(toolbar, deck);

    deck.removeAttribute("role"); // one card at a time is no longer a list
    cards.forEach((card) => {
      card.removeAttribute("role");
      card.tabIndex = 0;
      const back = card.querySelector(".flashcard-back");
      back.id = card.id + "-back";
      card.addEventListener("click", (event) => {
        // Following the lesson link, or selecting text to copy, is not a request to flip.
        if (event.target.closest("a, button") || String(window.getSelection())) return;
        setFlipped(!flipped);
      });
    });
    deck.classList.add("flashcards--interactive");

    previous.addEventListener("click", () => move(-1));
    next.addEventListener("click", () => move(1));
    flip.addEventListener("click", () => setFlipped(!flipped));
    shuffle.addEventListener("click", () => {
      for (let i = order.length - 1; i > 0; i--) { // Fisher–Yates
        const j = Math.floor(Math.random() * (i + 1));
        [order[i], order[j]] = [order[j], order[i]];
      }
      position = 0;
      show("Shuffled. ");
    });
    document.addEventListener("keydown", onKey);
    show("");

    function onKey(event) {
      if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
      const target = event.target;
      const onPage = target === document.body || target === document.documentElement;
      if (!onPage && !deck.contains(target) && !toolbar.contains(target)) return;
      if (event.key === "ArrowLeft" || event.key === "ArrowRight") {
        event.preventDefault();
        move(event.key === "ArrowLeft" ? -1 : 1);
      } else if ((event.key === " " || event.key === "Enter") && !target.closest("a, button")) {
        event.preventDefault(); // a focused link or button keeps its own Space and Enter
        setFlipped(!flipped);
      }
    }

    function move(step) {
      position = (position + step + order.length) % order.length;
      show("");
    }

    function setFlipped(value) {
      flipped = value;
      const card = cards[order[position]];
      card.querySelector(".flashcard-back").hidden = !flipped;
      card.classList.toggle("is-flipped", flipped);
      flip.textContent = flipped ? "Hide answer" : "Show answer";
      flip.setAttribute("aria-expanded", String(flipped));
      flip.setAttribute("aria-controls", card.id + "-back");
    }

    function show(prefix) {
      const hadFocus = cards.includes(document.activeElement);
      cards.forEach((card, index) => { card.hidden = index !== order[position]; });
      setFlipped(false);
      count.textContent = (position + 1) + " / " + cards.length;
      announcement.textContent = prefix + "Card " + (position + 1) + " of " + cards.length;
      if (hadFocus) cards[order[position]].focus(); // focus follows the card, not lost to the page
    }
  }

  function button(text, label) {
    const element = document.createElement("button");
    element.type = "button";
    element.className = "md-button";
    element.textContent = text;
    if (label) element.setAttribute("aria-label", label);
    return element;
  }

  function setUp() {
    document.querySelectorAll(".flashcards").forEach(setUpDeck);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
