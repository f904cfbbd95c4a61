// Material's search overlay is a dialog without a name; screen readers announce it as "Search".
"use strict";
document.querySelectorAll(".md-search[role=dialog]").forEach((dialog) => {
  if (!dialog.hasAttribute("aria-label")) dialog.setAttribute("aria-label", "Search");
});
