//go:build !race

package simple

const raceEnabled = false
