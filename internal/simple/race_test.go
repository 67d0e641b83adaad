//go:build race

package simple

// raceEnabled shrinks the 900,000-name tests under the race detector: the
// package has no concurrency, and they take minutes there.
const raceEnabled = true
