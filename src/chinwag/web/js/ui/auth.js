// Sign up and log in.

import { friendlyError } from '../api.js';
import { byTestId } from '../dom.js';

const USERNAME_RE = /^[A-Za-z0-9_.-]{3,32}$/;

export function deviceName() {
  const ua = navigator.userAgent;
  const browser = /Edg\//.test(ua) ? 'Edge' : /Firefox\//.test(ua) ? 'Firefox'
    : /Chrom(e|ium)\//.test(ua) ? 'Chrome' : /Safari\//.test(ua) ? 'Safari' : 'Browser';
  const os = /Android/.test(ua) ? 'Android' : /iPhone|iPad/.test(ua) ? 'iOS'
    : /Mac OS X/.test(ua) ? 'macOS' : /Windows/.test(ua) ? 'Windows'
      : /Linux/.test(ua) ? 'Linux' : 'web';
  return `${browser} on ${os}`;
}

/**
 * @param {{api: import('../api.js').Api, onLoggedIn: (session: object) => void}} o
 */
export function mountAuth({ api, onLoggedIn }) {
  const loginForm = byTestId('login-form');
  const signupForm = byTestId('signup-form');
  const loginError = byTestId('login-error');
  const signupError = byTestId('signup-error');

  const show = (which) => {
    loginForm.hidden = which !== 'login';
    signupForm.hidden = which !== 'signup';
    loginError.textContent = '';
    signupError.textContent = '';
    (which === 'login' ? byTestId('login-username') : byTestId('signup-username')).focus();
  };
  byTestId('show-signup').addEventListener('click', () => show('signup'));
  byTestId('show-login').addEventListener('click', () => show('login'));

  async function login(username, password, errorEl, button) {
    const res = await api.login(username, password, deviceName());
    if (!res || !res.token || !res.user) throw new Error('Unexpected answer from the server.');
    errorEl.textContent = '';
    button.disabled = false;
    onLoggedIn({ token: res.token, device_id: res.device_id, user: res.user,
      gateways: res.gateways || [] });
  }

  loginForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    performance.mark('chinwag:login-submit'); // for scripts/bench-web.py
    const username = byTestId('login-username').value.trim();
    const password = byTestId('login-password').value;
    const button = byTestId('login-submit');
    if (!username || !password) {
      loginError.textContent = 'Enter your username and password.';
      return;
    }
    button.disabled = true;
    loginError.textContent = '';
    try {
      await login(username, password, loginError, button);
      byTestId('login-password').value = '';
    } catch (err) {
      loginError.textContent = friendlyError(err, {
        unauthorized: 'Wrong username or password.',
        invalid_request: 'Wrong username or password.',
        conflict: 'Wrong username or password.',
        not_found: 'Wrong username or password.',
      });
    } finally {
      button.disabled = false;
    }
  });

  signupForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    const username = byTestId('signup-username').value.trim();
    const displayName = byTestId('signup-display-name').value.trim();
    const password = byTestId('signup-password').value;
    const button = byTestId('signup-submit');
    if (!USERNAME_RE.test(username)) {
      signupError.textContent = 'Usernames are 3 to 32 characters: letters, digits, _ . or -.';
      byTestId('signup-username').focus();
      return;
    }
    if (password.length < 8) {
      signupError.textContent = 'The password needs at least 8 characters.';
      byTestId('signup-password').focus();
      return;
    }
    button.disabled = true;
    signupError.textContent = '';
    try {
      await api.signup(username, password, displayName || undefined);
    } catch (err) {
      signupError.textContent = friendlyError(err, {
        conflict: 'That username is taken. Please pick another one.',
      });
      button.disabled = false;
      return;
    }
    try {
      await login(username, password, signupError, button);
      byTestId('signup-password').value = '';
    } catch (err) {
      signupError.textContent = `Your account was created, but logging in failed: ${friendlyError(err)}`;
    } finally {
      button.disabled = false;
    }
  });
}

/** Show the login screen, optionally with a message (e.g. the session ended). */
export function showAuth(message = '') {
  document.getElementById('boot').hidden = true;
  document.getElementById('main-view').hidden = true;
  document.getElementById('auth-view').hidden = false;
  byTestId('signup-form').hidden = true;
  byTestId('login-form').hidden = false;
  byTestId('login-error').textContent = message;
  byTestId('login-username').focus();
  performance.mark('chinwag:login-ready'); // for scripts/bench-web.py
}

export function hideAuth() {
  document.getElementById('boot').hidden = true;
  document.getElementById('auth-view').hidden = true;
  document.getElementById('main-view').hidden = false;
}
