import type { Histogram } from 'prom-client';

/** 1 ms to 10 s: a healthy loop sits in the first buckets; one blocking request shows as a single late sample. */
export const LAG_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Samples the event loop's lag: a timer asks to run every `intervalMs` and records how late it ran. While
 * the loop is blocked no sample is taken; the one taken after it frees records the whole stall, so a
 * request that holds the loop for 2 s adds one observation of about 2 s. The timer never keeps the process
 * alive. Returns the function that stops sampling.
 */
export function sampleEventLoopLag(histogram: Histogram, intervalMs = 20): () => void {
  let due = performance.now() + intervalMs;
  let timer: NodeJS.Timeout;
  const tick = () => {
    const now = performance.now();
    histogram.observe(Math.max(0, now - due) / 1000);
    due = now + intervalMs;
    timer = setTimeout(tick, intervalMs).unref();
  };
  timer = setTimeout(tick, intervalMs).unref();
  return () => clearTimeout(timer);
}
