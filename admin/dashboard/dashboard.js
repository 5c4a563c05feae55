// Meridian's read-only dashboard. It reads the admin API's JSON routes every few seconds and
// renders them into the tables of index.html. Every visible text comes from locales/LOCALE.json
// by key: data-i18n attributes in the page, and calls of t with a literal key here. The locale test
// finds the keys by scanning both files, so a key is never built at run time.
'use strict';

(() => {
  const LOCALES = ['en', 'zh-CN'];
  const INTERVAL_CHOICES_SECONDS = [2, 5, 10, 30, 60];
  const DEFAULT_INTERVAL_SECONDS = 5;
  // A refresh starts only after the previous one finished, so a slow server never piles up requests.
  const REQUEST_TIMEOUT_MS = 5000;
  const STORAGE_KEYS = {
    locale: 'meridian.dashboard.locale',
    interval: 'meridian.dashboard.intervalSeconds',
    paused: 'meridian.dashboard.paused',
  };
  // Relative to the page, so they keep a path prefix under which a reverse proxy may serve the admin API.
  const ROUTES = {
    readiness: 'readyz',
    config: 'debug/config',
    sync: 'debug/sync',
    nacks: 'debug/nacks',
    endpoints: 'debug/endpoints',
    health: 'debug/health',
    revisions: 'api/v1/policies/revisions',
  };

  const state = {
    locale: 'en',
    messages: {},
    formats: undefined,
    intervalSeconds: DEFAULT_INTERVAL_SECONDS,
    paused: false,
    timer: undefined,
    // The newest result of each route: { ok, status, body } or { failure: message }.
    results: {},
    lastReadAt: undefined,
    unreachable: undefined,
    refreshing: false,
  };

  // ---- Locale -----------------------------------------------------------------------------------

  /** Returns the message of `key`, with each {name} replaced by params[name]. */
  function t(key, params) {
    const template = state.messages[key];
    if (typeof template !== 'string') return key;
    if (params === undefined) return template;
    return template.replace(/\{(\w+)\}/g, (match, name) => (name in params ? String(params[name]) : match));
  }

  /** Picks the locale: ?lang=, then the choice stored by the switcher, then the browser language. */
  function initialLocale() {
    const requested = new URLSearchParams(window.location.search).get('lang');
    if (LOCALES.includes(requested)) return requested;
    const stored = readStorage(STORAGE_KEYS.locale);
    if (LOCALES.includes(stored)) return stored;
    const browser = (navigator.languages && navigator.languages[0]) || navigator.language || '';
    return browser.toLowerCase().startsWith('zh') ? 'zh-CN' : 'en';
  }

  async function loadLocale(locale) {
    const response = await fetch(`dashboard/locales/${locale}.json`, { cache: 'no-store' });
    if (!response.ok) throw new Error(`dashboard/locales/${locale}.json: HTTP ${response.status}`);
    state.messages = await response.json();
    state.locale = locale;
    state.formats = {
      number: new Intl.NumberFormat(locale),
      percent: new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 1 }),
      dateTime: new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'medium' }),
      time: new Intl.DateTimeFormat(locale, { timeStyle: 'medium' }),
    };
    document.documentElement.lang = locale;
  }

  /** Fills every data-i18n element and the controls with the texts of the current locale. */
  function translatePage() {
    for (const element of document.querySelectorAll('[data-i18n]')) {
      element.textContent = t(element.dataset.i18n);
    }
    document.getElementById('language').value = state.locale;
    const interval = document.getElementById('interval');
    interval.replaceChildren(
      ...INTERVAL_CHOICES_SECONDS.map((seconds) => {
        const option = new Option(t('controls.seconds', { seconds: formatNumber(seconds) }), String(seconds));
        option.selected = seconds === state.intervalSeconds;
        return option;
      }),
    );
    renderControls();
  }

  async function switchLocale(locale) {
    writeStorage(STORAGE_KEYS.locale, locale);
    // A ?lang= in the address would override the stored choice on reload, so it follows the switch.
    const url = new URL(window.location.href);
    if (url.searchParams.has('lang')) {
      url.searchParams.set('lang', locale);
      window.history.replaceState(null, '', url);
    }
    await loadLocale(locale);
    translatePage();
    render();
  }

  // ---- Formatting -------------------------------------------------------------------------------

  function formatNumber(value) {
    return typeof value === 'number' ? state.formats.number.format(value) : t('common.none');
  }

  function formatDateTime(iso) {
    const date = new Date(iso);
    return Number.isNaN(date.getTime()) ? String(iso) : state.formats.dateTime.format(date);
  }

  function formatLocality(locality) {
    if (!locality || !locality.region) return t('common.noLocality');
    return [locality.region, locality.zone, locality.subZone].filter(Boolean).join('/');
  }

  function formatAddress(address, port) {
    return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
  }

  /** Returns the short name of an xDS type URL, such as `Cluster` or `ClusterLoadAssignment`. */
  function typeNameOf(typeUrl) {
    return String(typeUrl).split('.').pop();
  }

  // ---- DOM helpers ------------------------------------------------------------------------------

  /** Creates an element. Children are nodes or text, never HTML, so server data cannot inject markup. */
  function element(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value === undefined || value === false) continue;
      if (name === 'className') node.className = value;
      else node.setAttribute(name, value === true ? '' : String(value));
    }
    for (const child of children.flat()) {
      if (child === undefined || child === null) continue;
      node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  /** Returns a status label. Its text names the status, and the colour only repeats it. */
  function badge(kind, text) {
    return element('span', { className: `badge badge-${kind}` }, text);
  }

  function code(text) {
    return element('code', null, text);
  }

  /** A version or hash: kept on one line, because a broken hash is hard to compare. */
  function identifier(text) {
    return element('code', { className: 'identifier' }, text);
  }

  /** Returns one row whose single cell spans the table and contains `text`. */
  function emptyRow(columns, text) {
    return element('tr', { className: 'empty' }, element('td', { colspan: columns }, text));
  }

  function setText(id, text) {
    document.getElementById(id).textContent = text;
  }

  function setChildren(id, ...children) {
    document.getElementById(id).replaceChildren(...children.flat());
  }

  // ---- Reading the admin API --------------------------------------------------------------------

  async function readRoute(route) {
    const response = await fetch(route, {
      cache: 'no-store',
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    let body;
    try {
      body = await response.json();
    } catch {
      body = undefined;
    }
    return { ok: response.ok, status: response.status, body };
  }

  /** Reads every route at once. The server counts as unreachable only when no route responds. */
  async function refresh() {
    if (state.refreshing) return;
    state.refreshing = true;
    try {
      const names = Object.keys(ROUTES);
      const settled = await Promise.allSettled(names.map((name) => readRoute(ROUTES[name])));
      if (settled.every((result) => result.status === 'rejected')) {
        state.unreachable = describeFailure(settled[0].reason);
      } else {
        state.unreachable = undefined;
        state.lastReadAt = new Date();
        names.forEach((name, index) => {
          const result = settled[index];
          state.results[name] = result.status === 'fulfilled' ? result.value : { failure: describeFailure(result.reason) };
        });
      }
      render();
    } finally {
      state.refreshing = false;
    }
  }

  function describeFailure(error) {
    if (error && error.name === 'TimeoutError') return t('errors.timeout', { ms: formatNumber(REQUEST_TIMEOUT_MS) });
    // fetch rejects with a TypeError when no connection can be made, with a browser-specific message.
    if (error instanceof TypeError) return t('errors.connectionFailed');
    return error && error.message ? error.message : String(error);
  }

  function schedule() {
    clearTimeout(state.timer);
    state.timer = undefined;
    if (!state.paused) state.timer = setTimeout(tick, state.intervalSeconds * 1000);
  }

  async function tick() {
    await refresh();
    schedule();
  }

  // ---- Rendering --------------------------------------------------------------------------------

  function render() {
    renderControls();
    renderUnreachable();
    renderPanel('status', ['readiness', 'config', 'sync'], renderStatus);
    renderPanel('config-errors', ['config'], renderConfigErrors);
    renderPanel('proxies', ['sync'], renderProxies);
    renderPanel('nacks', ['nacks'], renderNacks);
    renderPanel('endpoints', ['endpoints'], renderEndpoints);
    renderPanel('health', ['health'], renderHealth);
    renderPanel('revisions', ['revisions'], renderRevisions);
  }

  /**
   * Renders a panel from the routes it needs. A route that failed shows its error in the panel,
   * and the panel keeps what it showed before. readyz returns 503 with a body while not ready.
   */
  function renderPanel(panel, routeNames, draw) {
    const errorElement = document.getElementById(`${panel}-error`);
    const messages = [];
    for (const name of routeNames) {
      const result = state.results[name];
      if (result === undefined) return;
      if (result.failure !== undefined) {
        messages.push(t('errors.routeFailed', { route: ROUTES[name], detail: result.failure }));
      } else if (result.status === 404) {
        messages.push(t('errors.routeNotServed', { route: ROUTES[name] }));
      } else if (!result.ok && !(name === 'readiness' && result.body)) {
        const detail = result.body && result.body.message ? result.body.message : `HTTP ${result.status}`;
        messages.push(t('errors.routeFailed', { route: ROUTES[name], detail }));
      }
    }
    errorElement.hidden = messages.length === 0;
    errorElement.textContent = messages.join(' ');
    if (messages.length > 0) return;
    draw(...routeNames.map((name) => state.results[name].body));
  }

  function renderControls() {
    const pause = document.getElementById('pause');
    pause.textContent = state.paused ? t('controls.resume') : t('controls.pause');
    pause.setAttribute('aria-pressed', String(state.paused));
    const parts = [];
    parts.push(state.lastReadAt ? t('controls.lastRead', { time: state.formats.time.format(state.lastReadAt) }) : t('controls.neverRead'));
    if (state.paused) parts.push(t('controls.paused'));
    setText('last-read', parts.join(' '));
  }

  function renderUnreachable() {
    const banner = document.getElementById('unreachable');
    document.body.classList.toggle('stale', state.unreachable !== undefined);
    if (state.unreachable === undefined) {
      banner.hidden = true;
      banner.textContent = '';
      return;
    }
    const server = new URL('.', window.location.href).href;
    const staleNote = state.lastReadAt
      ? t('errors.showingOld', { time: state.formats.dateTime.format(state.lastReadAt) })
      : t('errors.nothingShown');
    const text = `${t('errors.unreachable', { server, detail: state.unreachable })} ${staleNote}`;
    // role="alert" announces every change, so an unchanged message is not written again.
    if (banner.textContent !== text) banner.textContent = text;
    banner.hidden = false;
  }

  function renderStatus(readiness, config, sync) {
    setChildren('status-ready', readiness.ready ? badge('ok', t('status.readyYes')) : badge('bad', t('status.readyNo')));
    setChildren('status-serving-from', readiness.servingFrom ? [code(readiness.servingFrom), ' ', servingFromText(readiness.servingFrom)] : t('common.none'));
    setText('status-detail', readiness.reason || readiness.detail || t('common.none'));
    setChildren(
      'status-sources',
      (readiness.sources || []).map((source) =>
        element('span', { className: 'source' }, code(source.name), ' ', source.synced ? badge('ok', t('status.synced')) : badge('bad', t('status.notSynced'))),
      ),
    );
    setText('status-services', formatNumber(config.services));
    setText('status-endpoints', formatNumber(config.endpoints));
    setText('status-policies', formatNumber(config.policies));
    setText('status-registry-revision', formatNumber(config.registryRevision));
    setChildren('status-policy-revision', config.policyRevision ? identifier(config.policyRevision) : t('common.none'));
    const proxies = sync.proxies || [];
    setText('status-proxies', t('proxies.summary', { count: formatNumber(proxies.length), outOfSync: formatNumber(proxies.filter(isOutOfSync).length) }));
  }

  function servingFromText(servingFrom) {
    switch (servingFrom) {
      case 'computed':
        return t('status.servingFromComputed');
      case 'restored':
        return t('status.servingFromRestored');
      case 'sync-timeout':
        return t('status.servingFromSyncTimeout');
      default:
        return '';
    }
  }

  function renderConfigErrors(config) {
    const errors = config.configErrors || [];
    const section = document.getElementById('config-errors');
    section.classList.toggle('alert', errors.length > 0);
    section.dataset.state = errors.length > 0 ? 'error' : 'ok';
    if (errors.length === 0) {
      setChildren('config-errors-summary', badge('ok', t('configErrors.noneBadge')), ' ', t('configErrors.none'));
    } else {
      setChildren('config-errors-summary', badge('bad', t('configErrors.badge', { count: formatNumber(errors.length) })), ' ', t('configErrors.rejected'));
    }
    setChildren('config-errors-list', errors.map((message) => element('li', null, code(message))));
  }

  function isOutOfSync(proxy) {
    return proxy.types.some((type) => type.state !== 'synced');
  }

  function renderProxies(sync) {
    const proxies = sync.proxies || [];
    setText('proxies-summary', t('proxies.summary', { count: formatNumber(proxies.length), outOfSync: formatNumber(proxies.filter(isOutOfSync).length) }));
    const table = document.getElementById('proxies-table');
    for (const body of table.querySelectorAll('tbody')) body.remove();
    if (proxies.length === 0) {
      table.append(element('tbody', null, emptyRow(8, t('proxies.none'))));
      return;
    }
    for (const proxy of proxies) {
      const rows = proxy.types.length > 0 ? proxy.types.map(typeCells) : [[element('td', { colspan: 4 }, t('proxies.noResponse'))]];
      const span = rows.length;
      const body = element('tbody', { className: isOutOfSync(proxy) ? 'out-of-sync' : undefined });
      rows.forEach((cells, index) => {
        const syncState = proxy.types[index] ? proxy.types[index].state : 'pending';
        const row = element('tr', { className: rowClassOf(syncState) });
        if (index === 0) {
          row.append(
            element('th', { scope: 'rowgroup', rowspan: span }, proxy.nodeId === null ? t('proxies.noNodeId') : proxy.nodeId),
            element('td', { rowspan: span }, proxy.kind || t('common.none'), ' ', element('span', { className: 'detail' }, `(${proxy.service})`)),
            element('td', { rowspan: span }, formatLocality(proxy.locality)),
            element('td', { rowspan: span }, formatDateTime(proxy.connectedTime)),
          );
        }
        row.append(...cells);
        body.append(row);
      });
      table.append(body);
    }
  }

  function rowClassOf(syncState) {
    if (syncState === 'synced') return undefined;
    return syncState === 'nacked' ? 'row-bad' : 'row-warn';
  }

  function typeCells(type) {
    const stateCell = element('td', null, stateBadge(type.state));
    if (type.state === 'nacked' && type.lastNack) {
      stateCell.append(element('div', { className: 'detail' }, type.lastNack.message));
    } else if (type.lastNack) {
      // The tracker keeps the newest NACK after later responses, so an older rejection stays visible.
      stateCell.append(element('div', { className: 'detail' }, t('proxies.earlierNack', { version: type.lastNack.version })));
    }
    return [
      element('td', null, typeNameOf(type.typeUrl)),
      element('td', null, type.lastSentVersion === null ? t('common.none') : identifier(type.lastSentVersion)),
      element('td', null, type.lastAckedVersion === null ? t('common.none') : identifier(type.lastAckedVersion)),
      stateCell,
    ];
  }

  function stateBadge(syncState) {
    switch (syncState) {
      case 'synced':
        return badge('ok', t('proxies.stateSynced'));
      case 'nacked':
        return badge('bad', t('proxies.stateNacked'));
      default:
        return badge('warn', t('proxies.statePending'));
    }
  }

  function renderNacks(view) {
    const nacks = view.nacks || [];
    // An empty table states it in its own row.
    setText('nacks-summary', nacks.length === 0 ? '' : t('nacks.summary', { count: formatNumber(nacks.length) }));
    const rows = nacks.map((nack) =>
      element(
        'tr',
        { className: 'row-bad' },
        element('td', null, formatDateTime(nack.time)),
        element('th', { scope: 'row' }, nack.nodeId === null ? t('proxies.noNodeId') : nack.nodeId),
        element('td', null, typeNameOf(nack.typeUrl)),
        element('td', null, identifier(nack.version)),
        element('td', { className: 'message' }, nack.message),
        element('td', null, nackSources(nack)),
      ),
    );
    replaceBody('nacks-table', rows, emptyRow(6, t('nacks.none')));
  }

  function nackSources(nack) {
    const resources = nack.resources || [];
    if (resources.length === 0) return t('nacks.notTraced');
    return element(
      'ul',
      { className: 'plain' },
      resources.map((resource) => {
        if (!resource.source) return element('li', null, code(resource.name), ' ', t('nacks.noPolicy'));
        const { policy, file, line } = resource.source;
        return element('li', null, code(resource.name), ' ', t('nacks.policyAt', { policy, place: `${file}:${line}` }));
      }),
    );
  }

  function renderEndpoints(view) {
    const services = view.services || [];
    const filter = document.getElementById('endpoints-filter').value.trim().toLowerCase();
    let total = 0;
    let unhealthy = 0;
    const rows = [];
    for (const service of services) {
      for (const endpoint of service.endpoints) {
        total++;
        if (endpoint.health === 'unhealthy') unhealthy++;
        const address = formatAddress(endpoint.address, endpoint.port);
        const locality = formatLocality(endpoint.locality);
        if (filter && ![service.name, address, locality, endpoint.cluster].some((text) => text.toLowerCase().includes(filter))) continue;
        rows.push(endpointRow(service, endpoint, address, locality));
      }
    }
    setText(
      'endpoints-summary',
      t('endpoints.summary', { services: formatNumber(services.length), endpoints: formatNumber(total), unhealthy: formatNumber(unhealthy) }),
    );
    const empty = emptyRow(7, filter ? t('endpoints.noMatch') : t('endpoints.none'));
    replaceBody('endpoints-table', rows, empty);
  }

  function endpointRow(service, endpoint, address, locality) {
    const labels = Object.entries(endpoint.labels || {}).map(([key, value]) => `${key}=${value}`).join(', ');
    const health = element('td', null, healthBadge(endpoint.health));
    if (endpoint.healthChangedAt) health.append(element('div', { className: 'detail' }, t('endpoints.since', { time: formatDateTime(endpoint.healthChangedAt) })));
    return element(
      'tr',
      { className: endpoint.health === 'unhealthy' ? 'row-bad' : undefined },
      element('th', { scope: 'row' }, service.name),
      element('td', null, code(address)),
      element('td', null, locality),
      element('td', null, endpoint.cluster || t('common.none')),
      element('td', { className: 'number' }, formatNumber(endpoint.weight)),
      element('td', null, labels ? code(labels) : t('common.none')),
      health,
    );
  }

  function healthBadge(health) {
    switch (health) {
      case 'healthy':
        return badge('ok', t('endpoints.healthy'));
      case 'unhealthy':
        return badge('bad', t('endpoints.unhealthy'));
      default:
        return badge('neutral', t('endpoints.unchecked'));
    }
  }

  function renderHealth(view) {
    const probers = (view.probers || []).map((prober) =>
      element('tr', null, element('th', { scope: 'row' }, prober.id), element('td', null, formatLocality(prober.locality))),
    );
    const partitions = (view.partitions || []).map((partition) =>
      element(
        'tr',
        { className: 'row-bad' },
        element('th', { scope: 'row' }, partition.prober),
        element('td', null, partition.from),
        element('td', null, partition.to),
      ),
    );
    const heldRows = (view.held || []).map((change) =>
      element(
        'tr',
        { className: 'row-warn' },
        element('th', { scope: 'row' }, change.service),
        element('td', null, change.prober),
        element('td', null, code(change.endpoints.join(', '))),
        element('td', { className: 'number' }, state.formats.percent.format(change.share)),
      ),
    );
    replaceBody('probers-table', probers, emptyRow(2, t('health.noProbers')));
    replaceBody('partitions-table', partitions, emptyRow(3, t('health.noPartitions')));
    replaceBody('held-table', heldRows, emptyRow(4, t('health.noHeld')));
  }

  function replaceBody(tableId, rows, empty) {
    const table = document.getElementById(tableId);
    table.tBodies[0].replaceChildren(...(rows.length > 0 ? rows : [empty]));
  }

  function renderRevisions(view) {
    const revisions = [...(view.revisions || [])].sort((a, b) => b.id - a.id);
    const rows = revisions.map((revision) =>
      element(
        'tr',
        { className: revision.inForce ? 'row-good' : undefined },
        element('th', { scope: 'row', className: 'number' }, formatNumber(revision.id)),
        element('td', null, formatDateTime(revision.time)),
        element('td', null, revision.author),
        element('td', null, revision.message),
        element('td', null, identifier(revision.hash)),
        element('td', null, revision.inForce ? badge('ok', t('revisions.inForceYes')) : ''),
      ),
    );
    replaceBody('revisions-table', rows, emptyRow(6, t('revisions.none')));
  }

  // ---- Storage and start ------------------------------------------------------------------------

  /** Reads localStorage, which throws where storage is disabled. */
  function readStorage(key) {
    try {
      return window.localStorage.getItem(key);
    } catch {
      return null;
    }
  }

  function writeStorage(key, value) {
    try {
      window.localStorage.setItem(key, value);
    } catch {
      // Storage is disabled: the choice lasts until the page is left.
    }
  }

  async function start() {
    const storedInterval = Number(readStorage(STORAGE_KEYS.interval));
    if (INTERVAL_CHOICES_SECONDS.includes(storedInterval)) state.intervalSeconds = storedInterval;
    state.paused = readStorage(STORAGE_KEYS.paused) === 'true';

    const locale = initialLocale();
    try {
      await loadLocale(locale);
    } catch (error) {
      if (locale === 'en') throw error;
      await loadLocale('en');
    }
    translatePage();

    document.getElementById('language').addEventListener('change', (event) => {
      switchLocale(event.target.value).catch(showFatal);
    });
    document.getElementById('interval').addEventListener('change', (event) => {
      state.intervalSeconds = Number(event.target.value);
      writeStorage(STORAGE_KEYS.interval, String(state.intervalSeconds));
      schedule();
    });
    document.getElementById('pause').addEventListener('click', () => {
      state.paused = !state.paused;
      writeStorage(STORAGE_KEYS.paused, String(state.paused));
      renderControls();
      schedule();
    });
    document.getElementById('refresh').addEventListener('click', () => {
      clearTimeout(state.timer);
      tick();
    });
    document.getElementById('endpoints-filter').addEventListener('input', () => {
      renderPanel('endpoints', ['endpoints'], renderEndpoints);
    });

    await tick();
  }

  /** Shows an error that stops the page, such as a locale file that cannot be read. */
  function showFatal(error) {
    const banner = document.getElementById('unreachable');
    banner.textContent = error && error.message ? error.message : String(error);
    banner.hidden = false;
  }

  start().catch(showFatal);
})();
