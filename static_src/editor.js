/*
 * Okuru's rich-text body editor (SPEC C4-C6): TipTap on top of the widget's <textarea>.
 *
 * The widget template (templates/widgets/rich_text_editor.html) renders the textarea, a toolbar
 * and a mount point; every visible word comes from that template, so this file has no UI strings.
 * Without JavaScript the textarea stays a plain HTML textarea. With it, the textarea is hidden and
 * kept equal to the editor's HTML (<p>, <br>, <strong>, <u>, <s>, <a href>) on every change, on
 * form submit and whenever FormData is built, so normal POSTs and htmx requests send the body.
 * Editors start on page load and on every `htmx:load` (several on one page are fine); editors in
 * content that htmx removes are destroyed.
 *
 * Setting the content from another screen's script (e.g. "apply template" replacing the body):
 *
 *   // 1. the event way: set the textarea, then tell the editor (works before and after start-up)
 *   textarea.value = "<p>{{CompanyName}} 御中</p>";
 *   textarea.dispatchEvent(new CustomEvent("okuru:set-content", { bubbles: true }));
 *   //    or pass the HTML along: new CustomEvent("okuru:set-content", { detail: { html: "<p>…</p>" } })
 *
 *   // 2. the API way
 *   window.okuruEditor.setContent(textarea, "<p>…</p>");   // true if an editor took it
 *   const editor = window.okuruEditor.forTextarea(textarea); // the TipTap Editor, or null
 *   editor.commands.setContent("<p>…</p>");                 // the textarea follows by itself
 *   window.okuruEditor.init(rootElement);                   // start editors inside new content
 *
 *   // 3. when an editor is ready, its textarea fires `okuru:editor-ready` (bubbles) with
 *   //    event.detail.editor, so a script can wait for it:
 *   document.addEventListener("okuru:editor-ready", (event) => { ... event.detail.editor ... });
 *
 * Either way the new content is limited to what the editor allows, and the textarea is updated
 * (an `input` event is fired on it after each change).
 */
import { Editor } from "@tiptap/core";
import Bold from "@tiptap/extension-bold";
import Document from "@tiptap/extension-document";
import HardBreak from "@tiptap/extension-hard-break";
import Link from "@tiptap/extension-link";
import Paragraph from "@tiptap/extension-paragraph";
import Strike from "@tiptap/extension-strike";
import Text from "@tiptap/extension-text";
import Underline from "@tiptap/extension-underline";
import { UndoRedo } from "@tiptap/extensions/undo-redo";

const ROOT = "[data-rich-text-editor]";
const ALLOWED_LINK = /^(https?:\/\/[^\s/?#]+[^\s]*|mailto:[^\s]+)$/i;
const MARKS = ["bold", "underline", "strike", "link"];
const editors = new WeakMap(); // textarea -> { editor, root, destroy }

function isAllowedLink(url) {
  return typeof url === "string" && ALLOWED_LINK.test(url.trim());
}

// Links carry only href: no target, rel, class or title reaches the stored body.
function makeLink(openLinkForm) {
  return Link.extend({
    addAttributes() {
      return { href: { default: null, parseHTML: (element) => element.getAttribute("href") } };
    },
    addKeyboardShortcuts() {
      return {
        "Mod-k": () => {
          openLinkForm();
          return true;
        },
      };
    },
  }).configure({
    openOnClick: false,
    autolink: false,
    linkOnPaste: true,
    HTMLAttributes: { target: null, rel: null, class: null },
    isAllowedUri: (url) => isAllowedLink(url),
  });
}

function bodyHtml(editor) {
  return editor.isEmpty ? "" : editor.getHTML();
}

function syncTextarea(state) {
  if (!state.editor) return;
  const html = bodyHtml(state.editor);
  if (state.textarea.value !== html) {
    state.textarea.value = html;
    state.textarea.dispatchEvent(new Event("input", { bubbles: true }));
  }
}

// The field's <label for=textarea> names the editor, and clicking it focuses the editor.
function labelFor(textarea) {
  if (!textarea.id) return null;
  const label = document.querySelector(`label[for="${CSS.escape(textarea.id)}"]`);
  if (label && !label.id) label.id = `${textarea.id}-label`;
  return label;
}

function setUp(root) {
  const textarea = root.querySelector("textarea");
  const mount = root.querySelector("[data-editor-mount]");
  const toolbar = root.querySelector("[data-editor-toolbar]");
  if (!textarea || !mount || !toolbar) return;
  if (editors.has(textarea)) return;

  // A root restored from htmx's history cache carries an old editor's DOM: start afresh.
  mount.replaceChildren();

  const linkButton = toolbar.querySelector('[data-command="link"]');
  const linkForm = root.querySelector("[data-link-form]");
  const linkInput = linkForm.querySelector("input");
  const linkError = linkForm.querySelector("[data-link-error]");
  const menuButton = toolbar.querySelector("[data-merge-tag-button]");
  const menu = root.querySelector("[data-merge-tag-menu]");
  const label = labelFor(textarea);

  const state = { textarea, root, editor: null };

  const attributes = {
    class: "rte-content",
    role: "textbox",
    "aria-multiline": "true",
  };
  if (label) attributes["aria-labelledby"] = label.id;
  const describedBy = textarea.getAttribute("aria-describedby");
  if (describedBy) attributes["aria-describedby"] = describedBy;
  if (textarea.getAttribute("aria-invalid") === "true") attributes["aria-invalid"] = "true";
  if (textarea.required || textarea.dataset.editorRequired) {
    attributes["aria-required"] = "true";
    // a hidden required control would block submission with a message nobody can see
    textarea.dataset.editorRequired = "true";
    textarea.required = false;
  }

  const editor = new Editor({
    element: mount,
    injectCSS: false, // the base styles are in okuru.css (no inline <style>, CSP)
    extensions: [
      Document,
      Paragraph,
      Text,
      HardBreak,
      Bold,
      Underline,
      Strike,
      makeLink(() => openLinkForm()),
      UndoRedo,
    ],
    content: textarea.value,
    editorProps: { attributes },
    onUpdate: () => syncTextarea(state),
    onTransaction: () => refreshToolbar(),
    onFocus: () => root.classList.add("is-focused"),
    onBlur: () => root.classList.remove("is-focused"),
  });
  state.editor = editor;

  function refreshToolbar() {
    if (!state.editor) return; // transactions during construction come before `editor` exists
    for (const name of MARKS) {
      const button = toolbar.querySelector(`[data-command="${name}"]`);
      if (button) button.setAttribute("aria-pressed", state.editor.isActive(name) ? "true" : "false");
    }
  }

  // --- toolbar: one tab stop, arrow keys move between its controls (ARIA toolbar pattern)
  const controls = () => Array.from(toolbar.querySelectorAll("button")).filter((b) => !b.closest("[role=menu]"));
  function rove(target) {
    for (const control of controls()) control.tabIndex = control === target ? 0 : -1;
    target.focus();
  }
  controls().forEach((control, index) => {
    control.tabIndex = index === 0 ? 0 : -1;
  });
  toolbar.addEventListener("keydown", (event) => {
    if (event.target.closest("[role=menu]")) return;
    const list = controls();
    const index = list.indexOf(event.target);
    if (index < 0) return;
    if ((event.key === "Enter" || event.key === " ") && event.target.dataset.command) {
      // activate here: the browser's own activation would let the key reach the text afterwards
      event.preventDefault();
      event.target.click();
      return;
    }
    let next = null;
    if (event.key === "ArrowRight") next = list[(index + 1) % list.length];
    else if (event.key === "ArrowLeft") next = list[(index - 1 + list.length) % list.length];
    else if (event.key === "Home") next = list[0];
    else if (event.key === "End") next = list[list.length - 1];
    if (next) {
      event.preventDefault();
      rove(next);
    }
  });
  toolbar.addEventListener("focusin", (event) => {
    if (controls().includes(event.target)) rove(event.target);
  });

  // TipTap's focus() waits for the next frame; focusing the view first means no keystroke typed
  // straight after a click lands on the button instead of the text.
  const focused = () => {
    editor.view.focus();
    return editor.chain().focus();
  };
  // A mouse click on a format button keeps the focus (and the selection) in the text.
  toolbar.addEventListener("mousedown", (event) => {
    if (event.target.closest("[data-command]")) event.preventDefault();
  });
  toolbar.addEventListener("click", (event) => {
    const button = event.target.closest("[data-command]");
    if (!button) return;
    const command = button.dataset.command;
    if (command === "bold") focused().toggleBold().run();
    else if (command === "underline") focused().toggleUnderline().run();
    else if (command === "strike") focused().toggleStrike().run();
    else if (command === "link") {
      if (linkForm.hidden) openLinkForm();
      else closeLinkForm(true);
    }
  });

  // --- link form (inline, inside the outer form: Enter applies, Escape cancels, nothing is posted)
  function showLinkError(show) {
    linkError.hidden = !show;
    linkError.textContent = show ? linkError.dataset.message : "";
    if (show) linkInput.setAttribute("aria-invalid", "true");
    else linkInput.removeAttribute("aria-invalid");
  }
  function openLinkForm() {
    closeMenu(false);
    linkInput.value = editor.getAttributes("link").href || "";
    showLinkError(false);
    linkForm.hidden = false;
    linkButton.setAttribute("aria-expanded", "true");
    linkInput.focus();
    linkInput.select();
  }
  function closeLinkForm(returnFocus) {
    linkForm.hidden = true;
    showLinkError(false);
    linkButton.setAttribute("aria-expanded", "false");
    if (returnFocus) focused().run();
  }
  function applyLink() {
    const url = linkInput.value.trim();
    if (!url) {
      focused().extendMarkRange("link").unsetLink().run();
      closeLinkForm(false);
      return;
    }
    if (!isAllowedLink(url)) {
      showLinkError(true);
      linkInput.focus();
      return;
    }
    const { empty } = editor.state.selection;
    if (empty && !editor.isActive("link")) {
      // nothing selected: the address itself becomes the link text
      focused()
        .insertContent({ type: "text", text: url, marks: [{ type: "link", attrs: { href: url } }] })
        .unsetMark("link")
        .run();
    } else {
      focused().extendMarkRange("link").setLink({ href: url }).run();
    }
    closeLinkForm(false);
  }
  function removeLink() {
    focused().extendMarkRange("link").unsetLink().run();
    closeLinkForm(false);
  }
  linkForm.addEventListener("click", (event) => {
    const action = event.target.closest("[data-link-action]");
    if (!action) return;
    const name = action.dataset.linkAction;
    if (name === "apply") applyLink();
    else if (name === "remove") removeLink();
    else closeLinkForm(true);
  });
  linkForm.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && event.target === linkInput) {
      event.preventDefault(); // never submit the outer form from here
      applyLink();
    } else if (event.key === "Escape") {
      event.preventDefault();
      closeLinkForm(true);
    }
  });
  linkInput.addEventListener("input", () => {
    if (!linkError.hidden) showLinkError(false);
  });

  // --- merge-tag menu (menu button pattern)
  const items = () => Array.from(menu.querySelectorAll("[role=menuitem]"));
  function openMenu(focusLast) {
    closeLinkForm(false);
    menu.hidden = false;
    menuButton.setAttribute("aria-expanded", "true");
    const list = items();
    list.forEach((item) => {
      item.tabIndex = -1;
    });
    (focusLast ? list[list.length - 1] : list[0]).focus();
  }
  function closeMenu(returnFocus) {
    if (menu.hidden) return;
    menu.hidden = true;
    menuButton.setAttribute("aria-expanded", "false");
    if (returnFocus) menuButton.focus();
  }
  menuButton.addEventListener("click", () => {
    if (menu.hidden) openMenu(false);
    else closeMenu(true);
  });
  menuButton.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      openMenu(event.key === "ArrowUp");
    }
  });
  menu.addEventListener("click", (event) => {
    const item = event.target.closest("[data-insert]");
    if (!item) return;
    closeMenu(false);
    focused().insertContent({ type: "text", text: item.dataset.insert }).run();
  });
  menu.addEventListener("keydown", (event) => {
    const list = items();
    const index = list.indexOf(document.activeElement);
    let next = null;
    if (event.key === "ArrowDown") next = list[(index + 1) % list.length];
    else if (event.key === "ArrowUp") next = list[(index - 1 + list.length) % list.length];
    else if (event.key === "Home") next = list[0];
    else if (event.key === "End") next = list[list.length - 1];
    else if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      if (document.activeElement && document.activeElement.dataset.insert) document.activeElement.click();
      return;
    } else if (event.key === "Escape") {
      event.preventDefault();
      closeMenu(true);
      return;
    } else if (event.key === "Tab") {
      closeMenu(false);
      return;
    }
    if (next) {
      event.preventDefault();
      next.focus();
    }
  });
  const outside = (event) => {
    if (!menu.hidden && !menu.contains(event.target) && !menuButton.contains(event.target)) closeMenu(false);
  };
  document.addEventListener("pointerdown", outside);

  // --- the textarea stays the source of truth for the form
  const onSetContent = (event) => {
    const html = event.detail && typeof event.detail.html === "string" ? event.detail.html : textarea.value;
    editor.commands.setContent(html, { emitUpdate: false });
    syncTextarea(state);
  };
  textarea.addEventListener("okuru:set-content", onSetContent);
  const onLabelClick = (event) => {
    event.preventDefault();
    focused().run();
  };
  if (label) label.addEventListener("click", onLabelClick);

  textarea.hidden = true;
  mount.hidden = false;
  toolbar.hidden = false;
  root.classList.add("is-ready");
  syncTextarea(state);
  refreshToolbar();

  editors.set(textarea, {
    editor,
    root,
    sync: () => syncTextarea(state),
    destroy() {
      document.removeEventListener("pointerdown", outside);
      textarea.removeEventListener("okuru:set-content", onSetContent);
      if (label) label.removeEventListener("click", onLabelClick);
      editor.destroy();
      editors.delete(textarea);
    },
  });
  textarea.dispatchEvent(new CustomEvent("okuru:editor-ready", { bubbles: true, detail: { editor } }));
}

function init(scope) {
  const base = scope && scope.querySelectorAll ? scope : document;
  const roots = Array.from(base.querySelectorAll(ROOT));
  if (base.matches && base.matches(ROOT)) roots.unshift(base);
  roots.forEach(setUp);
}

function destroyWithin(element) {
  if (!element || !element.querySelectorAll) return;
  const roots = Array.from(element.querySelectorAll(ROOT));
  if (element.matches(ROOT)) roots.push(element);
  for (const root of roots) {
    const textarea = root.querySelector("textarea");
    const entry = textarea && editors.get(textarea);
    if (entry) entry.destroy();
  }
}

function syncForm(form) {
  if (!form || !form.querySelectorAll) return;
  for (const textarea of form.querySelectorAll(`${ROOT} textarea`)) {
    const entry = editors.get(textarea);
    if (entry) entry.sync();
  }
}

if (!window.okuruEditor) {
  window.okuruEditor = {
    init,
    forTextarea(textarea) {
      const entry = editors.get(textarea);
      return entry ? entry.editor : null;
    },
    setContent(textarea, html) {
      if (!editors.get(textarea)) {
        textarea.value = html;
        return false;
      }
      textarea.value = html;
      textarea.dispatchEvent(new CustomEvent("okuru:set-content", { bubbles: true, detail: { html } }));
      return true;
    },
  };
  document.addEventListener("submit", (event) => syncForm(event.target), true);
  document.addEventListener("formdata", (event) => syncForm(event.target), true);
  document.addEventListener("htmx:load", (event) => init(event.target));
  document.addEventListener("htmx:beforeCleanupElement", (event) => destroyWithin(event.target));
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", () => init(document));
  else init(document);
}
