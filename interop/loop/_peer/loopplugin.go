package main

import (
	"fmt"
	"os"

	"github.com/hashicorp/go-plugin"

	"github.com/smartcontractkit/chainlink-common/pkg/loop"
	relayertest "github.com/smartcontractkit/chainlink-common/pkg/loop/internal/relayer/test"
)

// serveLoopRelayer runs chainlink-common's static test relayer (the one
// loop-test-plugin -cmd relayer -static-checks serves) the way a production
// LOOP binary's main runs its relayer: loop.MustNewStartedServer first (CL_*
// environment, Prometheus on CL_PROMETHEUS_PORT), then plugin.Serve with the
// server's GRPCOpts on the plugin's own gRPC server and on every brokered one.
// The test plugin itself uses bare grpc.NewServer and starts no metrics, so it
// cannot stand for what a node scrapes from a Go LOOP plugin.
func serveLoopRelayer() int {
	s := loop.MustNewStartedServer("PluginRelayerLoopPeer")
	defer s.Stop()
	stopCh := make(chan struct{})
	defer close(stopCh)
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: loop.PluginRelayerHandshakeConfig(),
		Plugins: map[string]plugin.Plugin{
			loop.PluginRelayerName: &loop.GRPCPluginRelayer{
				PluginServer: relayertest.NewPluginRelayer(s.Logger, true),
				BrokerConfig: loop.BrokerConfig{Logger: s.Logger, StopCh: stopCh, GRPCOpts: s.GRPCOpts},
			},
		},
		GRPCServer: s.GRPCOpts.NewServer,
	})
	fmt.Fprintln(os.Stderr, "loop-peer: done serving the relayer")
	return 0
}
