// Package shared holds the definitions used by both sides of the interop
// harness: the handshake, the "test" plugin and the hand-written bench.Echo
// service.
package shared

import (
	"context"

	"github.com/hashicorp/go-plugin"
	grpctest "github.com/hashicorp/go-plugin/test/grpc"
	"google.golang.org/grpc"
)

// PluginName is the key of the single plugin in every plugin set. Names are
// local to each side and never cross the wire.
const PluginName = "test"

// Handshake is the handshake shared by testhost and testplugin.
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  1,
	MagicCookieKey:   "TEST_MAGIC_COOKIE",
	MagicCookieValue: "test",
}

// TestPlugin is the go-plugin GRPCPlugin called "test". On the plugin side it
// registers grpctest.Test (built by NewTestServer, if set), grpctest.PingPong
// and bench.Echo. On the host side it yields a *Clients.
type TestPlugin struct {
	plugin.NetRPCUnsupportedPlugin

	// NewTestServer builds the grpctest.Test implementation. Only the plugin
	// process needs to set it.
	NewTestServer func(broker *plugin.GRPCBroker) grpctest.TestServer
}

var _ plugin.GRPCPlugin = (*TestPlugin)(nil)

// GRPCServer registers the services on the plugin's gRPC server.
func (p *TestPlugin) GRPCServer(broker *plugin.GRPCBroker, s *grpc.Server) error {
	if p.NewTestServer != nil {
		grpctest.RegisterTestServer(s, p.NewTestServer(broker))
	}
	grpctest.RegisterPingPongServer(s, PongServer{})
	RegisterEchoServer(s, &EchoService{Broker: broker})
	return nil
}

// Clients is what the host gets from Dispense("test").
type Clients struct {
	Broker   *plugin.GRPCBroker
	Conn     *grpc.ClientConn
	Test     grpctest.TestClient
	PingPong grpctest.PingPongClient
	Echo     *EchoClient
}

// GRPCClient builds the host-side client bundle.
func (p *TestPlugin) GRPCClient(_ context.Context, broker *plugin.GRPCBroker, conn *grpc.ClientConn) (interface{}, error) {
	return &Clients{
		Broker:   broker,
		Conn:     conn,
		Test:     grpctest.NewTestClient(conn),
		PingPong: grpctest.NewPingPongClient(conn),
		Echo:     NewEchoClient(conn),
	}, nil
}

// PluginSet returns a plugin set holding the "test" plugin.
func PluginSet(p *TestPlugin) plugin.PluginSet {
	return plugin.PluginSet{PluginName: p}
}

// VersionedPlugins maps every given version to a set holding p.
func VersionedPlugins(versions []int, p *TestPlugin) map[int]plugin.PluginSet {
	out := make(map[int]plugin.PluginSet, len(versions))
	for _, v := range versions {
		out[v] = PluginSet(p)
	}
	return out
}

// PongServer answers grpctest.PingPong/Ping with "pong".
type PongServer struct {
	grpctest.UnimplementedPingPongServer
}

// Ping implements grpctest.PingPongServer.
func (PongServer) Ping(context.Context, *grpctest.PingRequest) (*grpctest.PongResponse, error) {
	return &grpctest.PongResponse{Msg: "pong"}, nil
}

// NewPongGRPCServer is a factory for broker.AcceptAndServe that serves only
// grpctest.PingPong.
func NewPongGRPCServer(opts []grpc.ServerOption) *grpc.Server {
	s := grpc.NewServer(opts...)
	grpctest.RegisterPingPongServer(s, PongServer{})
	return s
}
