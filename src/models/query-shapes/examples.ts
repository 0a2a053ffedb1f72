/** Example values for query shapes: any value of the right type gives the same plan. */
const HOUR = 3_600_000;
export const X = {
  ntf: 'ntf_0m9z5k2a10000000000000000',
  evt: 'evt_0m9z5k2a10000000000000000',
  wh: 'wh_0m9z5k2a10000000000000000',
  at: new Date(Date.UTC(2026, 0, 1)),
  later: new Date(Date.UTC(2026, 0, 1) + HOUR),
};

