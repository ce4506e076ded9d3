// The stats page: one request to /v1/stats/artists/{id}/page per range, rendered as totals with their
// change, a Chart.js chart with the same numbers in a table, and the top lists. No build step.
const METRICS = ['plays', 'listeners', 'likes', 'reposts', 'comments', 'downloads']
const LABELS = {
  plays: 'Plays',
  listeners: 'Listeners',
  likes: 'Likes',
  reposts: 'Reposts',
  comments: 'Comments',
  downloads: 'Downloads',
}
const TOPS = [
  ['tracks', 'Top tracks', ['track_id', 'plays', 'likes']],
  ['countries', 'Countries', ['country', 'plays']],
  ['cities', 'Cities', ['city', 'country', 'plays']],
  ['sources', 'Sources', ['source', 'plays']],
  ['referrers', 'Referrers', ['referrer', 'plays']],
  ['listeners', 'Top listeners', ['user_id', 'plays']],
]
const HEADINGS = {
  track_id: 'Track',
  plays: 'Plays',
  likes: 'Likes',
  country: 'Country',
  city: 'City',
  source: 'Source',
  referrer: 'Referrer',
  user_id: 'Listener',
}

const $ = (selector) => document.querySelector(selector)
const state = { preset: '30d', from: '', to: '', tz: 'UTC', chart: null, request: 0 }

function token() {
  const fragment = new URLSearchParams(location.hash.slice(1)).get('token')
  if (fragment) {
    sessionStorage.setItem('search-stats-token', fragment)
    history.replaceState(null, '', location.pathname + location.search)
  }
  return sessionStorage.getItem('search-stats-token')
}

function subjectOf(jwt) {
  try {
    const payload = JSON.parse(atob(jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')))
    return Number(payload.sub)
  } catch {
    return Number.NaN
  }
}

function setStatus(message, isError = false) {
  const status = $('#status')
  status.textContent = message
  status.classList.toggle('error', isError)
}

function element(tag, props = {}, children = []) {
  const node = document.createElement(tag)
  for (const [key, value] of Object.entries(props)) {
    if (key === 'class') node.className = value
    else if (key === 'text') node.textContent = value
    else node.setAttribute(key, value)
  }
  for (const child of children) node.append(child)
  return node
}

const number = (value) => (value === null || value === undefined ? '' : Number(value).toLocaleString())

function formatChange(change) {
  if (change === null || change === undefined) return { text: 'new this period', cls: '' }
  const percent = (change * 100).toFixed(1)
  if (change > 0) return { text: `▲ ${percent}% vs the previous period`, cls: 'up' }
  if (change < 0) return { text: `▼ ${percent.replace('-', '')}% vs the previous period`, cls: 'down' }
  return { text: 'no change vs the previous period', cls: '' }
}

function renderTotals(data) {
  const list = $('#totals')
  list.replaceChildren()
  for (const metric of METRICS) {
    const change = formatChange(data.previous.change[metric])
    list.append(
      element('li', { 'data-metric': metric }, [
        element('span', { class: 'label', text: LABELS[metric] }),
        element('span', { class: 'value', text: number(data.totals[metric]) }),
        element('span', { class: `change ${change.cls}`, text: change.text }),
      ]),
    )
  }
}

function bucketLabel(t, interval) {
  const date = new Date(t)
  const options = { timeZone: state.tz }
  if (interval === 'hour') Object.assign(options, { month: 'short', day: 'numeric', hour: '2-digit' })
  else if (interval === 'month') Object.assign(options, { year: 'numeric', month: 'short' })
  else Object.assign(options, { month: 'short', day: 'numeric' })
  return new Intl.DateTimeFormat(undefined, options).format(date)
}

function renderSeries(data) {
  const labels = data.series.map((point) => bucketLabel(point.t, data.interval))
  const datasets = [
    { label: 'Plays', data: data.series.map((point) => point.plays), borderColor: '#f50', tension: 0.2 },
    {
      label: 'Listeners',
      data: data.series.map((point) => point.listeners),
      borderColor: '#36c',
      tension: 0.2,
    },
  ]
  if (state.chart) state.chart.destroy()
  state.chart = new window.Chart($('#chart'), {
    type: 'line',
    data: { labels, datasets },
    options: {
      maintainAspectRatio: false,
      animation: false,
      interaction: { mode: 'index', intersect: false },
    },
  })
  const table = $('#series-table')
  table.replaceChildren(
    element('caption', { text: `By ${data.interval}, ${state.tz}` }),
    element('thead', {}, [
      element('tr', {}, [
        element('th', { scope: 'col', text: 'From' }),
        element('th', { scope: 'col', class: 'num', text: 'Plays' }),
        element('th', { scope: 'col', class: 'num', text: 'Listeners' }),
      ]),
    ]),
    element(
      'tbody',
      {},
      data.series.map((point, i) =>
        element('tr', {}, [
          element('th', { scope: 'row', text: labels[i] }),
          element('td', { class: 'num', text: number(point.plays) }),
          element('td', { class: 'num', text: number(point.listeners) }),
        ]),
      ),
    ),
  )
}

function renderTops(data) {
  const container = $('#tops')
  container.replaceChildren()
  for (const [key, title, columns] of TOPS) {
    const rows = data.top[key] ?? []
    const body = rows.length
      ? element(
          'tbody',
          {},
          rows.map((row) =>
            element(
              'tr',
              {},
              columns.map((column) =>
                element('td', {
                  class: column === 'plays' || column === 'likes' ? 'num' : '',
                  text:
                    column === 'plays' || column === 'likes'
                      ? number(row[column])
                      : (row[column] ?? 'unknown'),
                }),
              ),
            ),
          ),
        )
      : element('tbody', {}, [
          element('tr', {}, [element('td', { colspan: columns.length, text: 'Nothing yet' })]),
        ])
    container.append(
      element('section', { 'data-top': key }, [
        element('h3', {
          text:
            key === 'listeners' && data.top_listeners_range.from !== data.range.from
              ? `${title} (the last 30 days)`
              : title,
        }),
        element('table', {}, [
          element('thead', {}, [
            element(
              'tr',
              {},
              columns.map((column) =>
                element('th', {
                  scope: 'col',
                  class: column === 'plays' || column === 'likes' ? 'num' : '',
                  text: HEADINGS[column],
                }),
              ),
            ),
          ]),
          body,
        ]),
      ]),
    )
  }
}

async function load() {
  const jwt = token()
  const artist = jwt ? subjectOf(jwt) : Number.NaN
  if (!jwt || !Number.isSafeInteger(artist)) {
    $('#main').setAttribute('aria-busy', 'false')
    setStatus(
      'Sign in to see your stats: open this page with #token=<token> (npx search-stats token --user <id>).',
      true,
    )
    return
  }
  $('#who').textContent = `Artist ${artist} · ${state.tz}`
  const params = new URLSearchParams({ tz: state.tz })
  if (state.preset) params.set('preset', state.preset)
  else {
    params.set('from', state.from)
    params.set('to', state.to)
  }
  const request = ++state.request
  $('#main').setAttribute('aria-busy', 'true')
  setStatus('Loading…')
  try {
    const answer = await fetchPage(`/v1/stats/artists/${artist}/page?${params}`, jwt, request)
    if (!answer) return
    const { response, data } = answer
    if (!response.ok) throw new Error(data.error?.message ?? `HTTP ${response.status}`)
    renderTotals(data)
    renderSeries(data)
    renderTops(data)
    const empty = METRICS.every((metric) => data.totals[metric] === 0)
    setStatus(
      empty
        ? 'No plays, likes or reposts in this range yet.'
        : `Showing ${data.range.from.slice(0, 10)} to ${data.range.to.slice(0, 10)} (${state.tz}).`,
    )
    const last = data.freshness.last_event_logged_at
    $('#freshness').textContent = last
      ? `The newest event counted was logged ${new Date(last).toLocaleString()}.`
      : 'No events logged yet.'
  } catch (err) {
    if (request === state.request) setStatus(`Could not load the stats: ${err.message}`, true)
  } finally {
    if (request === state.request) $('#main').setAttribute('aria-busy', 'false')
  }
}

/** How often a page asks again when the API answers 503 (busy or a store down) with Retry-After. */
const BUSY_RETRIES = 3

/**
 * The page's data; on a 503 it waits as Retry-After says (at most 10 s) and asks again, a few times.
 * Null when a newer load has started meanwhile.
 */
async function fetchPage(url, jwt, request) {
  for (let attempt = 0; ; attempt++) {
    const response = await fetch(url, { headers: { Authorization: `Bearer ${jwt}` } })
    const data = await response.json()
    if (request !== state.request) return null
    if (response.status !== 503 || attempt === BUSY_RETRIES) return { response, data }
    const seconds = Math.min(10, Math.max(1, Number(response.headers.get('Retry-After')) || 1))
    setStatus(`The stats are busy; trying again in ${seconds} s…`)
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000))
    if (request !== state.request) return null
  }
}

function choosePreset(preset) {
  state.preset = preset
  for (const button of document.querySelectorAll('[data-preset]')) {
    button.setAttribute('aria-pressed', String(button.dataset.preset === preset))
  }
  load()
}

function setup() {
  const zones = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : ['UTC']
  const own = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC'
  state.tz = zones.includes(own) ? own : 'UTC'
  const select = $('#tz')
  for (const zone of ['UTC', ...zones.filter((zone) => zone !== 'UTC')]) {
    select.append(element('option', { value: zone, text: zone }))
  }
  select.value = state.tz
  select.addEventListener('change', () => {
    state.tz = select.value
    load()
  })
  for (const button of document.querySelectorAll('[data-preset]')) {
    button.addEventListener('click', () => choosePreset(button.dataset.preset))
  }
  $('#controls').addEventListener('submit', (event) => {
    event.preventDefault()
    const from = $('#from').value
    const to = $('#to').value
    if (!from || !to || from >= to) {
      setStatus('Choose a start date before the end date.', true)
      return
    }
    Object.assign(state, { preset: '', from, to })
    for (const button of document.querySelectorAll('[data-preset]'))
      button.setAttribute('aria-pressed', 'false')
    load()
  })
  load()
}

setup()
