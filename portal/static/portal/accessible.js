"use strict";
// Repairs to the accessibility of the admin's own widgets, which their scripts build after
// the page loads (and for each inline row added): this watches for them.

// The admin's autocomplete (select2) names its combobox after the current choice only, so an
// empty picker is announced without a name: name it after the field's label as well.
function nameAutocompletes() {
  document.querySelectorAll("select.admin-autocomplete").forEach((select) => {
    const label = document.querySelector(`label[for="${select.id}"]`);
    const container = select.nextElementSibling;
    const combobox = container && container.querySelector(".select2-selection[role=combobox]");
    if (!label || !combobox) {
      return;
    }
    label.id = label.id || `${select.id}-label`;
    const rendered = combobox.querySelector(".select2-selection__rendered");
    const names = [label.id, rendered && rendered.id].filter(Boolean).join(" ");
    if (combobox.getAttribute("aria-labelledby") !== names) {
      combobox.setAttribute("aria-labelledby", names);
    }
    if (rendered && rendered.getAttribute("aria-labelledby") !== label.id) {
      rendered.setAttribute("aria-labelledby", label.id);
    }
  });
}
// The selector widget's search icon (filter_horizontal) is a span with an aria-label, which
// only an element with a role may carry: it is an image of a magnifier.
function roleIcons() {
  document.querySelectorAll("span.help-tooltip[aria-label]:not([role])").forEach((icon) => {
    icon.setAttribute("role", "img");
  });
}

// A date and time field is two boxes under one label that points at neither (Django's
// MultiWidget has no single id): name each box after the label, as "<label> date|time".
function nameDateTimes() {
  document.querySelectorAll("p.datetime").forEach((boxes) => {
    const row = boxes.closest(".form-row, .fieldBox, div");
    const label = row && row.querySelector("label");
    const name = label ? label.textContent.replace(/:\s*$/, "").trim() : "";
    boxes.querySelectorAll("input.vDateField, input.vTimeField").forEach((input) => {
      const kind = input.classList.contains("vDateField") ? "date" : "time";
      if (name && !input.hasAttribute("aria-label")) {
        input.setAttribute("aria-label", `${name} ${kind}`);
      }
    });
  });
}

function repair() {
  nameAutocompletes();
  roleIcons();
  nameDateTimes();
}
document.addEventListener("DOMContentLoaded", repair);
new MutationObserver(repair).observe(document.documentElement, { childList: true, subtree: true });
