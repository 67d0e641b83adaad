package config

import (
	"fmt"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Cache is the "cache" section: the proxy's file cache, shared by every
// upstream node (files are content-addressed, so one copy serves them all).
type Cache struct {
	// MaxSize bounds the total size of cached upstream files; the least
	// recently used are evicted past it. Default (and when 0) 50GiB.
	MaxSize ByteSize `yaml:"max_size"`
}

// DefaultCacheMaxSize is Cache.MaxSize's default.
const DefaultCacheMaxSize = 50 << 30

// ByteSize is a size in bytes, written as a number or with a unit: 500MB,
// 50GiB, 1.5TB (KB/MB/GB/TB are powers of 1000, KiB/MiB/GiB/TiB of 1024).
type ByteSize int64

var byteUnits = []struct {
	suffix string
	mult   float64
}{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
	{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12},
	{"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"T", 1 << 40}, {"B", 1},
}

// ParseByteSize parses a ByteSize.
func ParseByteSize(s string) (ByteSize, error) {
	s = strings.TrimSpace(s)
	num, mult := s, 1.0
	for _, u := range byteUnits {
		if n, ok := strings.CutSuffix(s, u.suffix); ok {
			num, mult = strings.TrimSpace(n), u.mult
			break
		}
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || f < 0 {
		return 0, fmt.Errorf("%q is not a size (examples: 500MB, 50GiB, 1073741824)", s)
	}
	return ByteSize(f * mult), nil
}

// UnmarshalYAML implements yaml.Unmarshaler.
func (b *ByteSize) UnmarshalYAML(n *yaml.Node) error {
	v, err := ParseByteSize(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*b = v
	return nil
}
