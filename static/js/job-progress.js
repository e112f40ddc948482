// Progress pages: fetch the job's status and reload only when it changes, instead of the
// meta refresh every few seconds. Without JavaScript the meta refresh does the work.
const root = document.querySelector('[data-module="job-progress"]')
if (root && root.dataset.finished !== 'true') {
  const refresh = document.querySelector('meta[http-equiv="refresh"]')
  if (refresh) refresh.remove()
  const url = root.dataset.statusUrl
  const last = root.dataset.key
  const poll = async () => {
    try {
      const response = await fetch(url, { headers: { Accept: 'application/json' } })
      if (!response.ok) return
      const job = await response.json()
      const key = `${job.status}:${job.done}:${job.total}`
      if (key !== last) {
        window.location.reload()
        return
      }
    } catch (error) {
      // The network is down: try again on the next tick.
    }
    window.setTimeout(poll, 1000)
  }
  window.setTimeout(poll, 1000)
}
