// The review screen's keyboard shortcuts, the field being edited as the cursor moves, and the prompt before a reload or
// another page loses unsaved edits: whole-screen listeners, installed once. Served in one module after page_viewer.js,
// whose helpers (onScreen, widgetBox, inputOf, clickButton, isTyping) and viewer they use (widgets/page_viewer.py).

function act(buttonKey) {
  // Commit the value being typed (Streamlit takes it on blur), then press the button as a mouse would, once the app
  // is idle: a click that lands while a run redraws the page can be lost. Only on the document the key was pressed
  // on: never on the next one, which the reviewer has not seen yet.
  if (isTyping(document.activeElement)) document.activeElement.blur();
  const pressedOn = onScreen() && onScreen().data.document;
  const press = (tries) => {
    const current = onScreen();
    if (current && current.data.document !== pressedOn) return;
    // while a run redraws the screen the viewer and the button are briefly gone: wait for them, never drop the key
    const busy = !current || document.querySelector('[data-test-script-state="running"]');
    if ((busy || !clickButton(buttonKey)) && tries > 0) setTimeout(() => press(tries - 1), 50);
  };
  setTimeout(() => press(200), 30);
}

function openDialogButton() {
  const dialog = document.querySelector('[role="dialog"]');
  return dialog && dialog.querySelector('[data-testid="stBaseButton-primary"]');
}

function onKeyDown(event) {
  const current = onScreen();
  if (!current) return;
  const data = current.data;
  const ctrl = event.ctrlKey || event.metaKey;
  let handled = true;
  if (ctrl && event.key === "Enter") {
    const confirm = openDialogButton();
    if (confirm) confirm.click();
    else act(data.buttons.approve);
  } else if (ctrl && (event.key === "s" || event.key === "S")) {
    act(data.buttons.save);
  } else if (event.altKey && event.code === "KeyR") {
    const reason = inputOf(data.buttons.reason);
    if (reason && !reason.value.trim()) reason.focus();
    else act(data.buttons.reject);
  } else if (event.altKey && event.code === "KeyN") {
    current.nextFlagged(event.shiftKey ? -1 : 1);
  } else if (event.altKey && event.code === "KeyO") {
    current.toggleVariant();
  } else if ((event.altKey && event.code === "Equal") || (!isTyping(event.target) && event.key === "+")) {
    current.zoomBy(ZOOM_STEP);
  } else if ((event.altKey && event.code === "Minus") || (!isTyping(event.target) && event.key === "-")) {
    current.zoomBy(1 / ZOOM_STEP);
  } else if ((event.altKey && event.code === "Digit0") || (!isTyping(event.target) && event.key === "0")) {
    current.fitWidth();
  } else {
    handled = false;
  }
  if (handled) {
    event.preventDefault();
    event.stopPropagation();
  }
}

function fieldOf(current, target) {
  for (let node = target; node && node !== document.body; node = node.parentElement) {
    const key = [...(node.classList || [])].find((c) => c.startsWith("st-key-"));
    if (key && current.byKey) {
      for (const [fieldKey, field] of current.byKey) {
        if (`st-key-${fieldKey.replace(/[^a-zA-Z0-9_-]/g, "-")}` === key) return field;
      }
    }
  }
  return null;
}

function onFocusIn(event) {
  const current = onScreen();
  const field = current && fieldOf(current, event.target);
  if (field) current.select(field.name);
}

function onInput(event) {
  const current = onScreen();
  if (current && fieldOf(current, event.target)) {
    current.localEdits = true;
    current.settling = false;
  }
}

function onBeforeUnload(event) {
  const current = onScreen();
  if (current && current.hasUnsavedEdits()) {
    event.preventDefault();
    event.returnValue = "";
  }
}

// A click on Save, Approve, Reject or the dialog's answers: the edits are being saved or dropped, so leaving the page
// before the app draws again (e.g. "Nothing to review" after the last one) must not ask about them.
function noteSettling(event) {
  const current = onScreen();
  const settling = current && current.data.settling.some((key) => widgetBox(key)?.contains(event.target));
  if (settling) current.settling = true;
}

function onNavigate(event) {
  const current = onScreen();
  if (!current || !current.hasUnsavedEdits()) return;
  const link = event.target.closest && event.target.closest('[data-testid="stSidebarNav"] a');
  if (link && !window.confirm(`You have unsaved changes on #${current.data.document}. Leave and lose them?`)) {
    event.preventDefault();
    event.stopPropagation();
  }
}

if (!window.__docdeskReviewListeners) {
  window.__docdeskReviewListeners = true;
  document.addEventListener("keydown", (event) => onKeyDown(event), true);
  document.addEventListener("focusin", (event) => onFocusIn(event), true);
  document.addEventListener("input", (event) => onInput(event), true);
  document.addEventListener("click", (event) => {
    noteSettling(event);
    onNavigate(event);
  }, true);
  window.addEventListener("beforeunload", (event) => onBeforeUnload(event));
}
