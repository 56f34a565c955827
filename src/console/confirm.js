// @ts-check
import { byId } from './dom.js';

/**
 * Asks before an action that changes a customer's access. Resolves true only on the
 * confirm button; Cancel and Escape resolve false. Focus starts on Cancel.
 * @param {string} title
 * @param {string} text
 * @param {string} confirmLabel
 * @returns {Promise<boolean>}
 */
export function confirmAction(title, text, confirmLabel) {
  /** @type {HTMLDialogElement} */
  const dialog = byId('confirm');
  byId('confirm-title').textContent = title;
  byId('confirm-text').textContent = text;
  const ok = byId('confirm-ok');
  const cancel = byId('confirm-cancel');
  ok.textContent = confirmLabel;
  return new Promise((resolve) => {
    /** @param {boolean} answer */
    const finish = (answer) => {
      ok.removeEventListener('click', onOk);
      cancel.removeEventListener('click', onCancel);
      dialog.removeEventListener('close', onClose);
      if (dialog.open) dialog.close();
      resolve(answer);
    };
    const onOk = () => finish(true);
    const onCancel = () => finish(false);
    const onClose = () => finish(false);
    ok.addEventListener('click', onOk);
    cancel.addEventListener('click', onCancel);
    dialog.addEventListener('close', onClose);
    dialog.showModal();
    cancel.focus();
  });
}
