/** Small statistics for the benchmarks: quantiles, medians and spreads, interleaving. */

/** The `q` quantile (0..1) of some numbers, by the nearest rank. */
export const quantile = (values: ArrayLike<number>, q: number): number => {
  const sorted = Float64Array.from(values).sort()
  if (sorted.length === 0) return Number.NaN
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))
  return sorted[rank]!
}

/** A median and the range around it, over the repetitions of one measurement. */
export interface Summary {
  readonly median: number
  readonly min: number
  readonly max: number
  /** The 25th and 75th percentiles: the middle half of the repetitions lies between them. */
  readonly q1: number
  readonly q3: number
}

export const summarize = (values: ReadonlyArray<number>): Summary => ({
  median: quantile(values, 0.5),
  min: Math.min(...values),
  max: Math.max(...values),
  q1: quantile(values, 0.25),
  q3: quantile(values, 0.75)
})

/** `items` in the order to run them in round `round`: A B C, then B C A, then C A B, ... */
export const rotate = <A>(items: ReadonlyArray<A>, round: number): ReadonlyArray<A> => {
  const k = round % items.length
  return [...items.slice(k), ...items.slice(0, k)]
}
