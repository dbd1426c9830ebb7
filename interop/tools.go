//go:build tools

package interop

import (
	_ "github.com/hashicorp/go-plugin/examples/bidirectional"
	_ "github.com/hashicorp/go-plugin/examples/bidirectional/plugin-go-grpc"
	_ "github.com/hashicorp/go-plugin/examples/grpc"
	_ "github.com/hashicorp/go-plugin/examples/grpc/plugin-go-grpc"
)
