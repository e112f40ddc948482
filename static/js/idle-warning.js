// Warns a signed-in user before the idle sign-out (WCAG 2.2.1 Timing Adjustable) and keeps
// what they typed if the sign-out happens anyway. Progressive enhancement: without this
// script the server still signs people out after the same time, and nothing else changes.
//
// The body carries the settings (only when someone is signed in):
//   data-session-timeout  seconds of inactivity before the server signs the user out
//   data-session-warning  seconds before that to show the warning
//   data-keep-alive-url   POST here (with the CSRF token) to start the clock again
//   data-session-user     whose session this is, so typed text goes back to the same person

const body = document.body;
const STORAGE_PREFIX = 'marac-typed:';
const SKIPPED_TYPES = new Set(['password', 'file', 'hidden', 'submit', 'button', 'reset', 'image']);

function storageKey() {
  return STORAGE_PREFIX + window.location.pathname + window.location.search;
}

function pageForms() {
  return Array.from(document.forms).filter((form) => !form.hasAttribute('data-sign-out-form'));
}

function savedFields(form) {
  const fields = [];
  for (const el of Array.from(form.elements)) {
    if (!el.name || el.name === 'csrf_token' || SKIPPED_TYPES.has(el.type) || el.disabled) continue;
    if (el.type === 'checkbox' || el.type === 'radio') {
      fields.push({ name: el.name, value: el.value, checked: el.checked });
    } else if (el.type === 'select-multiple') {
      fields.push({ name: el.name, values: Array.from(el.selectedOptions, (o) => o.value) });
    } else if (el.value !== undefined) {
      fields.push({ name: el.name, value: el.value });
    }
  }
  return fields;
}

// Saves the page's fields (never passwords, files or tokens) for this tab, keyed by the page.
function saveTypedText() {
  const forms = pageForms().map(savedFields);
  if (!forms.some((fields) => fields.length)) return;
  try {
    const record = { user: body.dataset.sessionUser, forms };
    window.sessionStorage.setItem(storageKey(), JSON.stringify(record));
  } catch (e) {
    // Storage full or switched off: the sign-out still happens, as without this script.
  }
}

function restoreField(form, field) {
  const elements = Array.from(form.elements).filter((el) => el.name === field.name);
  for (const el of elements) {
    if (SKIPPED_TYPES.has(el.type) || el.name === 'csrf_token') continue;
    if (el.type === 'checkbox' || el.type === 'radio') {
      if (el.value === field.value) el.checked = field.checked;
    } else if (el.type === 'select-multiple') {
      for (const option of Array.from(el.options)) option.selected = field.values.includes(option.value);
    } else {
      el.value = field.value;
    }
  }
}

function showRestoredBanner() {
  const main = document.getElementById('main-content');
  if (!main) return;
  const banner = document.createElement('div');
  banner.className = 'govuk-notification-banner';
  banner.setAttribute('role', 'region');
  banner.setAttribute('aria-labelledby', 'marac-restored-title');
  banner.setAttribute('data-restored-banner', '');
  const header = document.createElement('div');
  header.className = 'govuk-notification-banner__header';
  const title = document.createElement('h2');
  title.className = 'govuk-notification-banner__title';
  title.id = 'marac-restored-title';
  title.textContent = 'Important';
  header.appendChild(title);
  const content = document.createElement('div');
  content.className = 'govuk-notification-banner__content';
  const text = document.createElement('p');
  text.className = 'govuk-notification-banner__heading';
  text.textContent = 'We have put back what you typed before you were signed out. Check it before you continue.';
  content.appendChild(text);
  banner.append(header, content);
  main.prepend(banner);
}

// Puts back what was saved for this page, once, then forgets it.
function restoreTypedText() {
  const key = storageKey();
  let record;
  try {
    record = JSON.parse(window.sessionStorage.getItem(key) || 'null');
    window.sessionStorage.removeItem(key);
  } catch (e) {
    return;
  }
  if (!record || record.user !== body.dataset.sessionUser) return;
  const forms = pageForms();
  record.forms.forEach((fields, index) => {
    if (forms[index]) fields.forEach((field) => restoreField(forms[index], field));
  });
  showRestoredBanner();
}

function formatRemaining(seconds) {
  if (seconds >= 60) {
    const minutes = Math.ceil(seconds / 60);
    return `${minutes} minute${minutes === 1 ? '' : 's'}`;
  }
  return `${seconds} second${seconds === 1 ? '' : 's'}`;
}

function start() {
  const timeout = Number(body.dataset.sessionTimeout);
  const warning = Math.min(Number(body.dataset.sessionWarning), timeout - 1);
  const keepAliveUrl = body.dataset.keepAliveUrl;
  const template = document.getElementById('marac-idle-warning');
  if (!(timeout > 0) || !(warning > 0) || !keepAliveUrl || !template) return;
  if (typeof HTMLDialogElement !== 'function') return; // old browsers: the server still decides

  restoreTypedText();

  const dialog = template.content.firstElementChild.cloneNode(true);
  document.body.appendChild(dialog);
  const countdown = dialog.querySelector('[data-countdown]');
  let deadline = Date.now() + timeout * 1000;
  let returnFocusTo = null;
  let expired = false;

  const secondsLeft = () => Math.max(0, Math.ceil((deadline - Date.now()) / 1000));

  function open() {
    countdown.textContent = formatRemaining(secondsLeft());
    returnFocusTo = document.activeElement;
    dialog.showModal();
    dialog.querySelector('[data-idle-stay]').focus();
  }

  function close() {
    if (dialog.open) dialog.close();
    if (returnFocusTo && typeof returnFocusTo.focus === 'function') returnFocusTo.focus();
    returnFocusTo = null;
  }

  // The server signs the user out; going back to this page shows its sign-in page, and
  // brings them back here afterwards, where the saved text is put back.
  function expire() {
    if (expired) return;
    expired = true;
    saveTypedText();
    window.location.assign(window.location.href);
  }

  async function staySignedIn() {
    const token = document.querySelector('input[name="csrf_token"]');
    try {
      const response = await fetch(keepAliveUrl, {
        method: 'POST',
        credentials: 'same-origin',
        redirect: 'manual',
        headers: { 'X-CSRFToken': token ? token.value : '' },
      });
      if (response.status !== 204) {
        expire(); // already signed out (or the token is stale): nothing is lost
        return;
      }
    } catch (e) {
      return; // offline: keep the warning up, the user can try again
    }
    deadline = Date.now() + timeout * 1000;
    close();
  }

  dialog.addEventListener('cancel', (event) => {
    event.preventDefault(); // Escape means "stay signed in"
    staySignedIn();
  });
  dialog.querySelector('[data-idle-stay]').addEventListener('click', staySignedIn);
  dialog.querySelector('[data-idle-sign-out]').addEventListener('click', () => {
    const form = document.querySelector('form[data-sign-out-form]');
    if (form) form.submit();
  });

  // One tick a second: timers in background tabs may be delayed, the deadline is not.
  window.setInterval(() => {
    const left = secondsLeft();
    if (left <= 0) {
      // One second of grace so the server's clock has certainly run out too.
      if (Date.now() - deadline >= 1000) expire();
      return;
    }
    if (left <= warning && !dialog.open) open();
    if (dialog.open) countdown.textContent = formatRemaining(left);
  }, 1000);
}

if (body.dataset.sessionTimeout) start();
