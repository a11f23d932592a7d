// The review screen's page viewer: the page with the fields' boxes, zoom (wheel, buttons, keys) and pan (drag),
// and click-to-fill (a word, a line, or several words into the field being edited). The screen's keyboard and
// leave-page handling are in review_keys.js, served in the same module (widgets/page_viewer.py).
// Text from the receipt or the user is only ever set as textContent, never as HTML.

const SVG = "http://www.w3.org/2000/svg";
const ZOOM_STEP = 1.25;
const MIN_ZOOM = 0.1;
const MAX_ZOOM = 8;
const CLICK_SLOP = 4; // pixels a press may move and still be a click, not a drag

// The viewer on screen, for the document-wide listeners below (kept on window: they are installed once a page).
function onScreen() {
  const viewer = window.__docdeskViewer;
  return viewer && viewer.root.isConnected ? viewer : null;
}

function el(tag, className, parent, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  if (parent) parent.appendChild(node);
  return node;
}

function svg(tag, attributes, parent) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (parent) parent.appendChild(node);
  return node;
}

// The Streamlit widget (container class st-key-KEY) of a form field, and its input.
function widgetBox(key) {
  return document.querySelector(`.st-key-${CSS.escape(key.replace(/[^a-zA-Z0-9_-]/g, "-"))}`);
}

function inputOf(key) {
  const box = widgetBox(key);
  return box && box.querySelector("input, textarea");
}

function clickButton(key) {
  const box = widgetBox(key);
  const button = box && box.querySelector("button");
  if (!button || button.disabled) return false;
  button.click();
  return true;
}

function isTyping(target) {
  return target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.isContentEditable);
}

class Viewer {
  constructor(parent) {
    this.root = el("div", "dd-viewer", parent);
    const bar = el("div", "dd-toolbar", this.root);
    this.button(bar, "−", "Zoom out (Alt+-)", () => this.zoomBy(1 / ZOOM_STEP));
    this.button(bar, "+", "Zoom in (Alt+=)", () => this.zoomBy(ZOOM_STEP));
    this.button(bar, "Fit width", "Fit the page's width (Alt+0)", () => this.fitWidth());
    this.button(bar, "100%", "One screen pixel per image pixel", () => this.zoomTo(1));
    this.variantButton = this.button(bar, "", "Show the original scan or the cleaned page OCR read (Alt+O)",
      () => this.toggleVariant());
    this.hint = el("span", "dd-hint", bar);
    this.wrap = el("div", "dd-wrap", this.root);
    this.wrap.tabIndex = 0;
    this.stage = el("div", "dd-stage", this.wrap);
    this.image = el("img", "dd-image", this.stage);
    this.image.alt = "page image";
    this.image.draggable = false;
    this.overlay = svg("svg", { class: "dd-overlay", preserveAspectRatio: "none" }, this.stage);
    this.fieldLayer = svg("g", { class: "dd-fields" }, this.overlay);
    this.wordLayer = svg("g", { class: "dd-words" }, this.overlay);
    this.keys = el("div", "dd-keys", this.root);
    this.zoom = 1;
    this.x = 0;
    this.y = 0;
    this.picked = []; // indices of the words picked for the field being filled
    this.autoFit = true; // keep fitting the width (as the column resizes) until the reviewer zooms
    this.image.addEventListener("load", () => this.onImageLoad());
    this.image.addEventListener("error", () => this.onImageError());
    new ResizeObserver(() => this.autoFit && this.fitWidth()).observe(this.wrap);
    this.wrap.addEventListener("wheel", (event) => this.onWheel(event), { passive: false });
    this.wrap.addEventListener("pointerdown", (event) => this.onPointerDown(event));
    this.wordLayer.addEventListener("dblclick", (event) => this.onDoubleClick(event));
  }

  button(bar, text, title, action) {
    const node = el("button", "dd-button", bar, text);
    node.type = "button";
    node.title = title;
    node.addEventListener("click", action);
    return node;
  }

  update(data, setTrigger) {
    this.setTrigger = setTrigger;
    const newDocument = !this.data || this.data.document !== data.document;
    const newPage = newDocument || this.data.version !== data.version || this.data.page_index !== data.page_index;
    this.data = data;
    this.fields = new Map(data.fields.map((field) => [field.name, field]));
    this.byKey = new Map(data.fields.map((field) => [field.key, field]));
    this.wrap.style.height = data.height;
    this.keys.textContent = data.shortcuts;
    this.settling = false; // drawn again: the app says what is unsaved now
    if (newDocument) {
      this.active = null;
      this.localEdits = false;
    }
    if (!isTyping(document.activeElement)) this.localEdits = false; // all committed: the app knows what changed
    if (newPage) this.picked = [];
    this.showImage(newDocument || this.data.variant !== this.shownVariant);
    this.shownVariant = data.variant;
    this.drawWords();
    this.drawFields();
    if (data.focus && data.focus.nonce !== this.focusNonce) {
      this.focusNonce = data.focus.nonce;
      this.focusInput(data.focus.key);
    } else if (newDocument && data.start_field) {
      this.focusField(data.start_field, { unlessTyping: true });
    }
    this.showHint();
  }

  showImage(refit) {
    const shown = this.data.image;
    this.variantButton.textContent = this.data.variant === "original" ? "Original" : "Cleaned";
    this.variantButton.hidden = !this.data.has_original;
    if (!shown) {
      this.image.removeAttribute("src");
      return;
    }
    this.stage.style.width = `${shown.width}px`;
    this.stage.style.height = `${shown.height}px`;
    this.overlay.setAttribute("viewBox", `0 0 ${this.data.page_width} ${this.data.page_height}`);
    if (this.image.getAttribute("src") !== shown.url) {
      this.root.dataset.loaded = "false";
      this.image.src = shown.url;
    }
    if (refit) this.fitWidth();
  }

  onImageLoad() {
    this.root.dataset.loaded = "true";
    this.root.dataset.document = String(this.data.document);
  }

  // A stored page that failed to load (the app was busy, the connection blinked): try once more.
  onImageError() {
    if (this.retried === this.image.src) return;
    this.retried = this.image.src;
    setTimeout(() => { this.image.src = this.retried; }, 300);
  }

  toggleVariant() {
    if (this.data.has_original) this.setTrigger("variant", this.data.variant === "original" ? "cleaned" : "original");
  }

  drawWords() {
    this.wordLayer.replaceChildren();
    this.data.words.forEach(([text, left, top, width, height], index) => {
      const rect = svg("rect", { x: left, y: top, width, height, class: "dd-word" }, this.wordLayer);
      rect.dataset.index = index;
      if (this.picked.includes(index)) rect.classList.add("dd-picked");
      svg("title", {}, rect).textContent = text;
    });
  }

  drawFields() {
    this.fieldLayer.replaceChildren();
    for (const field of this.data.fields) {
      if (!field.box || field.page !== this.data.page_index) continue;
      const [left, top, width, height] = field.box;
      const selected = field.name === this.active;
      const rect = svg("rect", { x: left, y: top, width, height, class: `dd-field dd-${field.state}` },
        this.fieldLayer);
      if (selected) rect.classList.add("dd-selected");
      svg("title", {}, rect).textContent = field.label;
      if (selected) {
        const label = svg("text", { x: left, y: Math.max(0, top - 6), class: "dd-label" }, this.fieldLayer);
        label.textContent = field.label;
      }
    }
  }

  showHint() {
    const field = this.fields.get(this.active);
    this.hint.textContent = field
      ? `Filling ${field.label}: click a word · double-click: its line · Shift+click: add a word`
      : "Select a field in the form, then click its value on the page";
  }

  // --- zoom and pan --------------------------------------------------------------------------

  apply() {
    this.stage.style.transform = `translate(${this.x}px, ${this.y}px) scale(${this.zoom})`;
    this.root.dataset.zoom = this.zoom.toFixed(3);
  }

  zoomTo(zoom, cx = this.wrap.clientWidth / 2, cy = this.wrap.clientHeight / 2) {
    this.autoFit = false;
    const next = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, zoom));
    this.x = cx - ((cx - this.x) * next) / this.zoom;
    this.y = cy - ((cy - this.y) * next) / this.zoom;
    this.zoom = next;
    this.apply();
  }

  zoomBy(factor, cx, cy) {
    this.zoomTo(this.zoom * factor, cx, cy);
  }

  fitWidth() {
    const shown = this.data && this.data.image;
    if (!shown || !this.wrap.clientWidth) return;
    this.zoom = Math.min(MAX_ZOOM, this.wrap.clientWidth / shown.width);
    this.x = 0;
    this.y = 0;
    this.autoFit = true;
    this.apply();
  }

  // Pan so that a box (page pixels) is in view, with a margin; zoom out first if it cannot fit.
  reveal(box) {
    const [left, top, width, height] = box;
    const margin = 40;
    const viewW = this.wrap.clientWidth;
    const viewH = this.wrap.clientHeight;
    const shown = this.data.image;
    const perPixel = () => [(shown.width / this.data.page_width) * this.zoom,
      (shown.height / this.data.page_height) * this.zoom];
    let [sx, sy] = perPixel();
    if (width * sx > viewW - 2 * margin) {
      this.zoomTo((this.zoom * (viewW - 2 * margin)) / (width * sx));
      [sx, sy] = perPixel();
    }
    const x0 = left * sx + this.x;
    const x1 = (left + width) * sx + this.x;
    const y0 = top * sy + this.y;
    const y1 = (top + height) * sy + this.y;
    if (x0 < margin) this.x += margin - x0;
    else if (x1 > viewW - margin) this.x -= x1 - (viewW - margin);
    if (y0 < margin) this.y += margin - y0;
    else if (y1 > viewH - margin) this.y -= y1 - (viewH - margin);
    if (x0 < margin || x1 > viewW - margin || y0 < margin || y1 > viewH - margin) this.autoFit = false;
    this.apply();
  }

  onWheel(event) {
    event.preventDefault();
    const bounds = this.wrap.getBoundingClientRect();
    this.zoomBy(event.deltaY < 0 ? ZOOM_STEP : 1 / ZOOM_STEP, event.clientX - bounds.left, event.clientY - bounds.top);
  }

  onPointerDown(event) {
    if (event.button !== 0) return;
    const pressed = event.target; // kept: a shadow-DOM event's target is cleared once it has been dispatched
    const start = { x: event.clientX, y: event.clientY, panX: this.x, panY: this.y };
    let dragged = false;
    const move = (moved) => {
      const dx = moved.clientX - start.x;
      const dy = moved.clientY - start.y;
      if (!dragged && Math.hypot(dx, dy) < CLICK_SLOP) return;
      dragged = true;
      this.wrap.classList.add("dd-dragging");
      this.x = start.panX + dx;
      this.y = start.panY + dy;
      this.apply();
    };
    const up = (released) => {
      window.removeEventListener("pointermove", move);
      window.removeEventListener("pointerup", up);
      this.wrap.classList.remove("dd-dragging");
      if (!dragged) this.onClick(released, pressed);
    };
    window.addEventListener("pointermove", move);
    window.addEventListener("pointerup", up);
  }

  // --- click to fill ---------------------------------------------------------------------------

  onClick(event, target) {
    const index = target && target.dataset ? target.dataset.index : undefined;
    if (index === undefined) return;
    const word = Number(index);
    if (event.shiftKey && this.picked.length) {
      this.picked = this.picked.includes(word) ? this.picked.filter((i) => i !== word) : [...this.picked, word];
    } else {
      this.picked = [word];
    }
    this.fill();
  }

  onDoubleClick(event) {
    const index = event.target.dataset ? event.target.dataset.index : undefined;
    if (index === undefined) return;
    const line = this.data.words[Number(index)][5];
    this.picked = this.data.words.map((word, i) => [word, i]).filter(([word]) => word[5] === line).map(([, i]) => i);
    this.fill();
  }

  fill() {
    const field = this.fields.get(this.active);
    this.drawWords();
    if (!field || !this.picked.length) {
      this.hint.textContent = "Select a field in the form first, then click its value on the page";
      return;
    }
    const words = this.picked.map((i) => this.data.words[i])
      .sort((a, b) => a[5] - b[5] || a[1] - b[1]);
    const left = Math.min(...words.map((w) => w[1]));
    const top = Math.min(...words.map((w) => w[2]));
    const right = Math.max(...words.map((w) => w[1] + w[3]));
    const bottom = Math.max(...words.map((w) => w[2] + w[4]));
    this.nonce = (this.nonce || 0) + 1;
    this.setTrigger("fill", {
      field: field.name,
      text: words.map((w) => w[0]).join(" "),
      box: [left, top, right - left, bottom - top],
      page: this.data.page_index,
      nonce: this.nonce,
    });
  }

  // --- the form's fields ----------------------------------------------------------------------

  select(name) {
    if (!this.fields.has(name) || name === this.active) return;
    this.active = name;
    this.picked = [];
    this.drawWords();
    this.drawFields();
    this.showHint();
    const field = this.fields.get(name);
    if (field.box && field.page === this.data.page_index) this.reveal(field.box);
  }

  focusField(name, options = {}) {
    const field = this.fields.get(name);
    if (field) this.focusInput(field.key, options);
    if (!options.unlessTyping || !isTyping(document.activeElement)) this.select(name);
  }

  // The cursor into a widget's input (a field's, or the reason's), once the app has drawn it; its text selected, to be
  // typed over. Never in the input the reviewer is already typing in (selecting would let the next key replace what
  // they typed) unless they asked for it (reselect: Alt+N), and with unlessTyping (the first flagged field of a
  // document just opened) never out of any field they are typing in: the keys they type next would land in another
  // field, replacing its value.
  focusInput(key, { unlessTyping = false, reselect = false, tries = 20 } = {}) {
    if (unlessTyping && isTyping(document.activeElement)) return;
    const input = inputOf(key);
    if (!input) {
      if (tries > 0) setTimeout(() => this.focusInput(key, { unlessTyping, reselect, tries: tries - 1 }), 50);
      return;
    }
    if (input === document.activeElement && !reselect) return;
    input.focus();
    if (input.select) input.select();
  }

  nextFlagged(step) {
    const flagged = this.data.fields.filter((field) => field.flagged);
    if (!flagged.length) return;
    const at = flagged.findIndex((field) => field.name === this.active);
    const next = flagged[(at + step + flagged.length) % flagged.length];
    this.focusField(next.name, { reselect: true });  // the reviewer's own key: select even the field they are in
  }

  hasUnsavedEdits() {
    return Boolean(this.data && !this.settling && (this.data.unsaved || this.localEdits));
  }
}

const viewers = new WeakMap();

export default function ({ data, parentElement, setTriggerValue }) {
  let viewer = viewers.get(parentElement);
  if (!viewer) {
    viewer = new Viewer(parentElement);
    viewers.set(parentElement, viewer);
  }
  window.__docdeskViewer = viewer;
  viewer.update(data, setTriggerValue);
}
