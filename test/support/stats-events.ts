// A valid play event of the contract (section 2) for tests: a logged-in listener in Berlin on the web;
// the caller gives what the test is about.
export interface PlayEventFields {
  id: string
  occurred_at: string | number
  track_id: number
  owner_id: number
  user_id: number
}

export function playEvent(fields: PlayEventFields) {
  return {
    type: 'play',
    anonymous_id: null,
    country: 'DE',
    city: 'Berlin',
    source: 'web',
    referrer: null,
    listened_ms: 1000,
    ...fields,
  }
}
