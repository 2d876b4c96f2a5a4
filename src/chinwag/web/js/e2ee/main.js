// The e2ee bundle's entry (loaded by lazy.js, never part of the app shell): loads the
// vendored library, unlocks this device's crypto store with its passphrase, and starts
// the machine.

import { Crypto } from './machine.js';
import { askPassphrase } from './unlock.js';
import { mount as mountControls } from './controls.js';

export const mount = mountControls;

const SET_UP = 'chinwag.e2ee.'; // + device id: this device has a crypto store

export async function start(ctx, session, library, store) {
  const sdk = await import(library);
  await sdk.initAsync();
  const device = session.device_id;
  const known = localStorage.getItem(SET_UP + device) === '1';
  let failed = '';
  for (;;) {
    const passphrase = await askPassphrase({ known, failed });
    try {
      const machine = await sdk.OlmMachine.initialize(
        new sdk.UserId(`@${session.user.id}:chinwag`), new sdk.DeviceId(device),
        store, passphrase);
      localStorage.setItem(SET_UP + device, '1');
      const crypto = new Crypto(ctx, sdk, machine, session);
      await crypto.begin();
      return crypto;
    } catch (err) {
      if (!known) throw err;
      console.warn('chinwag: the crypto store did not open', err);
      failed = 'That passphrase did not unlock this device\u2019s keys.';
    }
  }
}
