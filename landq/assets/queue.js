/* queue.js -- live updates for landq's queue pages (served by landq; no framework, no other
 * asset). Without JavaScript the pages are complete as served; with it, the page polls its own
 * URL every data-refresh seconds and swaps <main id="queue"> in place, keeping open <details>
 * open. A change of what the page says (data-sig) is announced once in the polite live region. */
'use strict';
(function () {
  var every = parseInt(document.body.getAttribute('data-refresh') || '0', 10);
  if (!(every > 0) || !window.fetch || !window.DOMParser) {
    return;
  }
  var live = document.getElementById('live');
  var failures = 0;

  function say(text) {
    if (live && live.textContent !== text) {
      live.textContent = text;
    }
  }

  function openDetails(root) {
    var ids = {};
    root.querySelectorAll('details[open][id]').forEach(function (d) { ids[d.id] = true; });
    return ids;
  }

  function swap(html) {
    var doc = new DOMParser().parseFromString(html, 'text/html');
    var fresh = doc.getElementById('queue');
    var old = document.getElementById('queue');
    if (!fresh || !old) {
      return;
    }
    var changed = fresh.getAttribute('data-sig') !== old.getAttribute('data-sig');
    var keep = openDetails(old);
    var node = document.importNode(fresh, true);
    node.querySelectorAll('details[id]').forEach(function (d) {
      if (keep[d.id]) {
        d.open = true;
      }
    });
    old.replaceWith(node);
    var asof = doc.getElementById('asof');
    var cur = document.getElementById('asof');
    if (asof && cur) {
      cur.replaceWith(document.importNode(asof, true));
    }
    if (changed) {
      say('Queue updated at ' + new Date().toLocaleTimeString() + '.');
    } else if (live && live.textContent.indexOf('paused') >= 0) {
      say('Live updates resumed.');
    }
  }

  function tick() {
    if (document.hidden) {
      setTimeout(tick, every * 1000);
      return;
    }
    fetch(location.pathname, { headers: { 'Accept': 'text/html' }, cache: 'no-store',
                               credentials: 'same-origin', redirect: 'error' })
      .then(function (r) {
        if (!r.ok) {
          throw new Error('HTTP ' + r.status);
        }
        return r.text();
      })
      .then(function (html) {
        failures = 0;
        swap(html);
        setTimeout(tick, every * 1000);
      })
      .catch(function (e) {
        failures += 1;
        var wait = Math.min(60, every * Math.pow(2, Math.min(failures, 5)));
        say('Live updates paused: landq did not answer (' + e.message + '); retrying in ' +
            wait + ' s.');
        setTimeout(tick, wait * 1000);
      });
  }

  document.documentElement.classList.add('live-updates');
  setTimeout(tick, every * 1000);
}());
