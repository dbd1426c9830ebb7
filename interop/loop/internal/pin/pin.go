// Package pin keeps the pinned chainlink-common and go-plugin in this module's
// build list; the harness programs under cmd/ use them.
package pin

import (
	_ "github.com/hashicorp/go-plugin"
	_ "github.com/smartcontractkit/chainlink-common/pkg/loop"
)
