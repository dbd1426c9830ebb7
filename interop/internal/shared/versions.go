package shared

import (
	"fmt"
	"strconv"
	"strings"
)

// ParseVersions parses a comma separated list of protocol versions.
func ParseVersions(s string) ([]int, error) {
	var out []int
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		v, err := strconv.Atoi(part)
		if err != nil {
			return nil, fmt.Errorf("bad version %q: %w", part, err)
		}
		out = append(out, v)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no versions given")
	}
	return out, nil
}
