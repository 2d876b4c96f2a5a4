// Loaded by index.html ahead of the app's script (a small classic script, async): with a
// saved session, the requests for the chat list go out now, while the far larger script
// is still downloading. The app takes them over (js/chat.js fetchFresh) and checks that
// they were made with the token it uses; nothing else happens here.
(() => {
  try {
    const s = JSON.parse(localStorage.getItem('chinwag.session') || 'null');
    if (!s || typeof s.token !== 'string') return;
    const headers = { Accept: 'application/json', Authorization: `Bearer ${s.token}` };
    const get = (path) => {
      const p = fetch(path, { headers, cache: 'no-store' });
      p.catch(() => { /* the app reports it when it takes the answer */ });
      return p;
    };
    window.chinwagEarly = {
      token: s.token,
      me: get('/v1/me'),
      requests: get('/v1/friends/requests'),
      friends: get('/v1/friends'),
      channels: get('/v1/channels'),
    };
  } catch { /* the app makes the requests itself */ }
})();
