// Command loop-started-relayer is a Go LOOP relayer plugin started the way
// production Go plugins start: loop.MustNewStartedServer, so it parses the
// CL_* environment, serves Prometheus metrics, sets up OpenTelemetry tracing
// and wraps its gRPC servers with chainlink-common's interceptors. It needs
// no database (chainlink-common's own example relayer queries one in Start).
//
// It is the reference the TS runtime (serveLoop) is compared with; its
// counterpart is test/fixtures/loop/started-relayer.ts, which answers the
// same: GetChainStatus {ID "started", enabled}, LatestHead fails with
// "no head", every other relayer method is chainlink-common's Unimplemented.
package main

import (
	"context"
	"errors"

	"github.com/hashicorp/go-plugin"

	"github.com/smartcontractkit/chainlink-common/pkg/logger"
	"github.com/smartcontractkit/chainlink-common/pkg/loop"
	"github.com/smartcontractkit/chainlink-common/pkg/types"
	"github.com/smartcontractkit/chainlink-common/pkg/types/core"
)

func main() {
	s := loop.MustNewStartedServer("StartedRelayer")
	defer s.Stop()

	stopCh := make(chan struct{})
	defer close(stopCh)

	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: loop.PluginRelayerHandshakeConfig(),
		Plugins: map[string]plugin.Plugin{
			loop.PluginRelayerName: &loop.GRPCPluginRelayer{
				PluginServer: &factory{lggr: s.Logger},
				BrokerConfig: loop.BrokerConfig{StopCh: stopCh, Logger: s.Logger, GRPCOpts: s.GRPCOpts},
			},
		},
		GRPCServer: s.GRPCOpts.NewServer,
	})
}

// factory is the PluginRelayer: it makes one relayer per NewRelayer.
type factory struct{ lggr logger.Logger }

func (f *factory) Name() string                   { return f.lggr.Name() }
func (f *factory) Start(context.Context) error    { return nil }
func (f *factory) Close() error                   { return nil }
func (f *factory) Ready() error                   { return nil }
func (f *factory) HealthReport() map[string]error { return map[string]error{f.Name(): nil} }
func (f *factory) NewRelayer(_ context.Context, _ string, _, _ core.Keystore, _ core.CapabilitiesRegistry) (loop.Relayer, error) {
	return &relayer{lggr: logger.Named(f.lggr, "Relayer")}, nil
}

type relayer struct {
	types.UnimplementedRelayer
	lggr logger.Logger
}

func (r *relayer) Name() string                   { return r.lggr.Name() }
func (r *relayer) Start(context.Context) error    { return nil }
func (r *relayer) Close() error                   { return nil }
func (r *relayer) Ready() error                   { return nil }
func (r *relayer) HealthReport() map[string]error { return map[string]error{r.Name(): nil} }

func (r *relayer) GetChainStatus(context.Context) (types.ChainStatus, error) {
	return types.ChainStatus{ID: "started", Enabled: true}, nil
}

func (r *relayer) LatestHead(context.Context) (types.Head, error) {
	return types.Head{}, errors.New("no head")
}
