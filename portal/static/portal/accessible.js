"use strict";
// The admin's autocomplete (select2) names its combobox after the current choice only, so an
// empty picker is announced without a name: name it after the field's label as well. select2
// builds its widgets after the page loads (and for each inline row added), so this watches
// for them.
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
new MutationObserver(nameAutocompletes).observe(document.documentElement, {
  childList: true,
  subtree: true,
});
