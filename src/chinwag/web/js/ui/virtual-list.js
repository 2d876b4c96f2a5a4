// A keyed list that keeps only the items near the viewport in the page, so a conversation
// of 10,000 messages costs what one of a hundred does. The list's top and bottom padding
// stand in for the items not rendered, from their measured heights (an estimate until an
// item has been shown once). Scrolling keeps the first visible item where it was, so
// items growing, shrinking or being added above do not move what the person reads. The
// item holding the focus stays in the page wherever the view goes (out of the flow, in its
// place), so keyboard users never lose their place; each item says its position in the
// list (aria-posinset / aria-setsize) for screen readers, since most are not in the page.

export class VirtualList {
  /**
   * @param {object} o
   * @param {HTMLElement} o.scroller the scrolling element
   * @param {HTMLElement} o.list the element the items go in (inside the scroller)
   * @param {(item: any) => string} o.key
   * @param {(item: any) => HTMLElement} o.create
   * @param {(el: HTMLElement, item: any, index: number) => void} o.update
   * @param {(el: HTMLElement) => void} [o.removed] an element left the page
   * @param {number} [o.estimate] px, height of an item not yet measured
   * @param {number} [o.overscan] px rendered beyond each edge of the viewport
   * @param {number} [o.budgetMs] ms per frame for making elements while scrolling
   * @param {(items: any[]) => number} [o.setSize] how many items there are in all (-1: not known yet)
   */
  constructor(o) {
    this.o = o;
    this.items = [];
    this.keys = [];
    this.heights = new Map(); // key -> measured px
    this.nodes = new Map(); // key -> element in the page
    this.version = 0; // bumped by setItems: every rendered element is updated once more
    this.start = 0;
    this.end = 0;
    this.listTop = 0; // the list's offset in the scroller, read before the last render
    this.anchorIndex = -1; // the index of the last render's anchor item
    this.following = true; // at the newest item: stay there when the viewport changes
    this.partial = false; // the last render left part of its window for the next frame
    this.frame = 0; // that next frame
    this.size = 0; // aria-setsize of the items
    this.stale = 0; // the offsets from this index on need computing again
    this.pinned = null; // the element holding the focus, kept while outside the window
    // The scroller changes size (the on-screen keyboard, a rotation, the window): keep the
    // newest message in view if it was, else keep the first visible one where it was.
    this.height = 0; // the scroller's height when the resize observer last ran
    this.resizes = new ResizeObserver(() => {
      const h = o.scroller.clientHeight;
      if (h === this.height) return;
      this.height = h;
      this.render({ toBottom: this.following && this.keys.length > 0 });
    });
    this.resizes.observe(o.scroller);
    this.stop = new AbortController();
    o.scroller.addEventListener('scroll', () => this.noteFollowing(),
      { passive: true, signal: this.stop.signal });
  }

  /** New items (or the same with changes); re-renders, keeping the view where it was. */
  setItems(items, { toBottom = false } = {}) {
    const follow = toBottom || this.atEnd();
    this.items = items;
    this.keys = items.map(this.o.key);
    this.tops = null;
    this.size = this.o.setSize ? this.o.setSize(items) : items.length;
    this.version++;
    this.render({ toBottom: follow });
  }

  /**
   * Follow the newest item from now on if the view is at it. Not while a resize is on its
   * way to the observer: a viewport that shrank (the on-screen keyboard) leaves the view
   * short of the bottom without anyone having scrolled.
   */
  noteFollowing() {
    if (this.o.scroller.clientHeight === this.height) this.following = this.atEnd();
  }

  atBottom(slack = 120) {
    const s = this.o.scroller;
    return s.scrollHeight - s.scrollTop - s.clientHeight < slack;
  }

  /** The newest item is rendered and the view is (nearly) at the bottom: follow new ones. */
  atEnd(slack = 120) {
    return this.end > 0 && this.end === this.keys.length && this.atBottom(slack);
  }

  scrollToBottom() {
    const s = this.o.scroller;
    this.render({ toBottom: true });
    s.scrollTop = s.scrollHeight;
  }

  /** Bring the item with `key` into the middle of the view; returns its element. */
  scrollToKey(key) {
    const i = this.keys.indexOf(key);
    if (i < 0) return null;
    const { scroller, list } = this.o;
    const place = () => {
      const tops = this.offsets();
      scroller.scrollTop = Math.max(0, list.offsetTop + tops[i] - scroller.clientHeight / 3);
    };
    place();
    this.render();
    const el = this.nodes.get(key);
    if (el) scroller.scrollTop = Math.max(0, el.offsetTop - scroller.clientHeight / 3);
    this.render();
    return this.nodes.get(key) || null;
  }

  /**
   * Offsets of each item's top within the list, from heights known or estimated. Kept
   * until the items change; a height that changes makes only the offsets below it stale.
   */
  offsets() {
    let tops = this.tops;
    let from = this.stale;
    if (!tops) {
      tops = new Float64Array(this.keys.length + 1);
      from = 0;
    }
    const est = this.o.estimate ?? 64;
    for (let i = from; i < this.keys.length; i++) {
      tops[i + 1] = tops[i] + (this.heights.get(this.keys[i]) ?? est);
    }
    this.tops = tops;
    this.stale = this.keys.length;
    return tops;
  }

  /** Item `i` measured `h` px high; returns whether that changed anything. */
  measured(i, h) {
    const key = this.keys[i];
    if (this.heights.get(key) === h) return false;
    this.heights.set(key, h);
    this.stale = Math.min(this.stale, i);
    return true;
  }

  /**
   * The first rendered element whose bottom is below the scroller's top, and where it is.
   * Found among the elements in the page, not by index: new items (an older page) may
   * have moved every index since they were rendered.
   */
  anchor() {
    const s = this.o.scroller;
    for (const el of this.o.list.children) {
      if (el !== this.pinned && el.offsetTop + el.offsetHeight > s.scrollTop) {
        return { key: el.dataset.key, delta: el.offsetTop - s.scrollTop };
      }
    }
    return null;
  }

  /** Render in the next frame, once however often it is asked for (on scroll). */
  schedule() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.render({ scrolled: true });
    });
  }

  /** Render the window around the viewport; call on scroll and after changes. */
  render({ toBottom = false, scrolled = false } = {}) {
    const { scroller, list } = this.o;
    const stick = toBottom;
    // Read before anything is written: at the start of a frame the layout is clean, so
    // this costs nothing (the list's own padding, written below, does not move it).
    this.listTop = list.offsetTop;
    // A scroll that stays within what is rendered needs no work at all: the window is
    // rebuilt only when less than half the overscan is left beyond an edge.
    if (scrolled && !stick && this.covers()) {
      this.noteFollowing();
      return;
    }
    // New elements are made for a few milliseconds per frame, those in view first (and
    // all of those, unless scrolling); the rest of the window follows in the next frames.
    // So a fling through a long list on a slow phone never holds the main thread long.
    const deadline = stick ? Infinity : performance.now() + (this.o.budgetMs ?? 4);
    const anchor = stick ? null : this.anchor();
    // While scrolling, one layout a frame: one pass, and if the measured heights moved
    // the window off the view, the next frame renders again (as for a partial window).
    const passes = scrolled && !stick ? 1 : 3;
    for (let pass = 0; pass < passes; pass++) {
      const changed = this.renderWindow(stick, anchor, deadline, !scrolled);
      if (changed && passes === 1) this.partial = true;
      if (stick) scroller.scrollTop = scroller.scrollHeight;
      else if (anchor && this.anchorIndex >= 0) {
        // Where the anchor is now, from the measured heights: reading it from the page
        // would lay the list out a second time in this frame.
        const want = this.listTop + this.offsets()[this.anchorIndex] - anchor.delta;
        if (Math.abs(scroller.scrollTop - want) >= 1) scroller.scrollTop = want;
      }
      if (!changed || pass + 1 === passes || this.covers()) break;
    }
    // After a scroll the scroll listener has done this, and reading the page now would lay
    // it out once more in this frame.
    if (!scrolled) this.noteFollowing();
    if (this.partial) this.schedule();
  }

  /** Whether the rendered items reach at least half the overscan past both edges. */
  covers() {
    const { scroller, overscan = 800 } = this.o;
    const tops = this.offsets();
    const viewTop = scroller.scrollTop - this.listTop;
    const above = this.start === 0 || tops[this.start] <= viewTop - overscan / 2;
    const below = this.end === this.keys.length
      || tops[this.end] >= viewTop + scroller.clientHeight + overscan / 2;
    return above && below;
  }

  /**
   * One pass: choose the window, put its elements in place, measure them. Until
   * `deadline` (performance.now()), after which the window is cut short (`partial`): it
   * keeps what it has that reaches into the viewport and grows from there, over the
   * viewport first (whole, if `wholeView`), then the overscan.
   */
  renderWindow(stick, anchor, deadline = Infinity, wholeView = true) {
    const { scroller, list, overscan = 800 } = this.o;
    const n = this.keys.length;
    const tops = this.offsets();
    const { listTop } = this;
    this.anchorIndex = -1;
    let viewTop = scroller.scrollTop - listTop;
    if (stick) viewTop = tops[n] - scroller.clientHeight;
    else if (anchor) {
      const i = this.keys.indexOf(anchor.key);
      this.anchorIndex = i;
      if (i >= 0) viewTop = tops[i] - anchor.delta;
    }
    const from = viewTop - overscan;
    const to = viewTop + scroller.clientHeight + overscan;
    let start = upperBound(tops, from) - 1;
    start = Math.max(0, Math.min(start, n));
    let end = start;
    while (end < n && tops[end] < to) end++;
    this.partial = false;
    if (deadline !== Infinity) [start, end] = this.grow(start, end, viewTop, deadline, wholeView);
    this.start = start;
    this.end = end;

    const wanted = new Set(this.keys.slice(start, end));
    // The item holding the focus stays, out of the flow where it would be, before or after
    // the window as in the list (so Tab and Shift+Tab go on from it).
    const pin = this.focusedItem();
    const pinAt = pin && !wanted.has(pin.dataset.key) ? this.keys.indexOf(pin.dataset.key) : -1;
    for (const [key, el] of this.nodes) {
      if (!wanted.has(key) && !(pinAt >= 0 && el === pin)) {
        el.remove();
        this.nodes.delete(key);
        this.o.removed?.(el);
      }
    }
    if (this.pinned && this.pinned !== (pinAt >= 0 ? pin : null)) {
      this.pinned.classList.remove('pinned');
      this.pinned.style.top = '';
    }
    this.pinned = pinAt >= 0 ? pin : null;
    let prev = null;
    if (this.pinned && pinAt < start) {
      if (list.firstChild !== pin) list.insertBefore(pin, list.firstChild);
      prev = pin;
    }
    for (let i = start; i < end; i++) {
      const el = this.element(i);
      const want = prev ? prev.nextSibling : list.firstChild;
      if (want !== el) list.insertBefore(el, want);
      prev = el;
    }
    if (this.pinned) {
      if (pinAt >= end && list.lastChild !== pin) list.append(pin);
      pin.classList.add('pinned');
      pin.style.top = `${listTop + tops[pinAt]}px`;
      if (pin.renderedIndex !== pinAt || pin.renderedVersion !== this.version) this.element(pinAt);
    }
    list.style.paddingTop = `${tops[start]}px`;
    list.style.paddingBottom = `${tops[n] - tops[end]}px`;

    // Every element in the page is measured: one layout, then cheap reads; a message can
    // change height without being rebuilt ("Show more", a new width). Fractional heights,
    // so the offsets add up to where the items really are (render() relies on it).
    let changed = false;
    for (let i = start; i < end; i++) {
      if (this.measured(i, this.nodes.get(this.keys[i]).getBoundingClientRect().height)) {
        changed = true;
      }
    }
    if (changed) {
      const fixed = this.offsets();
      list.style.paddingTop = `${fixed[start]}px`;
      list.style.paddingBottom = `${fixed[n] - fixed[end]}px`;
    }
    return changed;
  }

  /** The element of item `i`, made or brought up to date. */
  element(i) {
    const key = this.keys[i];
    const item = this.items[i];
    let el = this.nodes.get(key);
    if (!el) {
      el = this.o.create(item);
      el.dataset.key = key;
      this.nodes.set(key, el);
    }
    if (el.renderedItem !== item || el.renderedVersion !== this.version || el.renderedIndex !== i) {
      el.renderedItem = item;
      el.renderedVersion = this.version;
      el.renderedIndex = i;
      this.o.update(el, item, i);
      el.setAttribute('aria-posinset', String(i + 1));
      el.setAttribute('aria-setsize', String(this.size));
    }
    return el;
  }

  /** The item element holding the focus, if any. */
  focusedItem() {
    let el = document.activeElement;
    while (el && el.parentElement !== this.o.list) el = el.parentElement;
    return el && this.nodes.get(el.dataset.key) === el ? el : null;
  }

  /** The part of the window [start, end) that can be made before `deadline`. */
  grow(start, end, viewTop, deadline, wholeView) {
    const tops = this.offsets();
    const n = this.keys.length;
    let first = Math.max(0, Math.min(upperBound(tops, viewTop) - 1, n));
    let last = first;
    while (last < n && tops[last] < viewTop + this.o.scroller.clientHeight) last++;
    first = Math.max(first, start);
    last = Math.min(Math.max(last, first), end);
    // What is rendered stays if it reaches into the viewport; else start at the viewport.
    const has = (i) => this.nodes.has(this.keys[i]);
    let lo = first;
    while (lo < last && !has(lo)) lo++;
    if (lo === last) lo = first;
    let hi = lo;
    while (hi < end && has(hi)) hi++;
    while (lo > start && has(lo - 1)) lo--;
    // At least one new element each time, so that the window always gets there.
    let made = 0;
    const early = () => made > 0 && performance.now() > deadline;
    const make = (i) => { this.element(i); made++; };
    while (hi < last && (wholeView || !early())) make(hi++);
    while (lo > first && (wholeView || !early())) make(--lo);
    while (hi < end && !early()) make(hi++);
    while (lo > start && !early()) make(--lo);
    this.partial = lo > start || hi < end;
    return [lo, hi];
  }

  /** Stop watching the scroller (logging out). */
  dispose() {
    this.resizes.disconnect();
    this.stop.abort();
    cancelAnimationFrame(this.frame);
  }

  /** Forget everything (another conversation). */
  reset() {
    this.following = true;
    cancelAnimationFrame(this.frame);
    this.frame = 0;
    this.partial = false;
    for (const el of this.nodes.values()) this.o.removed?.(el);
    this.nodes.clear();
    this.heights.clear();
    this.tops = null;
    this.pinned = null;
    this.items = [];
    this.keys = [];
    this.start = this.end = 0;
    this.o.list.replaceChildren();
    this.o.list.style.paddingTop = this.o.list.style.paddingBottom = '0px';
  }
}

/** The first index whose value is greater than x (values ascending). */
function upperBound(values, x) {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (values[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
