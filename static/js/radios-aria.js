// GOV.UK Frontend marks a radio that reveals content with aria-expanded, which ARIA 1.2
// does not allow on a radio (axe: aria-allowed-attr, critical). The reveal and its
// aria-controls stay; only that attribute comes off, each time Frontend sets it.
const strip = () => {
  document
    .querySelectorAll('input[type="radio"][aria-expanded]')
    .forEach((input) => input.removeAttribute('aria-expanded'));
};

new MutationObserver(strip).observe(document.body, {
  subtree: true,
  attributes: true,
  attributeFilter: ['aria-expanded'],
});
strip();
