// "A new version is ready": shown when a newer service worker is waiting. Reloading is
// the person's choice, so nothing they are typing is lost to a surprise reload.

import { byTestId } from '../dom.js';

export function showUpdatePrompt(apply) {
  const bar = byTestId('update-banner');
  const button = byTestId('update-reload');
  button.onclick = () => {
    button.disabled = true;
    apply();
  };
  bar.hidden = false;
}
