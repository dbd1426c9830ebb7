package shared

import (
	"context"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// The bench.Echo service is defined by hand (no .proto, no codegen):
//
//	service Echo {
//	  rpc Echo(google.protobuf.BytesValue) returns (google.protobuf.BytesValue);
//	  rpc Brokered(google.protobuf.Empty) returns (google.protobuf.UInt32Value);
//	}
const (
	EchoServiceName    = "bench.Echo"
	EchoMethodEcho     = "/bench.Echo/Echo"
	EchoMethodBrokered = "/bench.Echo/Brokered"
)

// EchoServer is the server side of bench.Echo.
type EchoServer interface {
	Echo(context.Context, *wrapperspb.BytesValue) (*wrapperspb.BytesValue, error)
	Brokered(context.Context, *emptypb.Empty) (*wrapperspb.UInt32Value, error)
}

func handleEcho(srv interface{}, ctx context.Context, dec func(interface{}) error, icpt grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(wrapperspb.BytesValue)
	if err := dec(in); err != nil {
		return nil, err
	}
	call := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(EchoServer).Echo(ctx, req.(*wrapperspb.BytesValue))
	}
	if icpt == nil {
		return call(ctx, in)
	}
	return icpt(ctx, in, &grpc.UnaryServerInfo{Server: srv, FullMethod: EchoMethodEcho}, call)
}

func handleBrokered(srv interface{}, ctx context.Context, dec func(interface{}) error, icpt grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(emptypb.Empty)
	if err := dec(in); err != nil {
		return nil, err
	}
	call := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(EchoServer).Brokered(ctx, req.(*emptypb.Empty))
	}
	if icpt == nil {
		return call(ctx, in)
	}
	return icpt(ctx, in, &grpc.UnaryServerInfo{Server: srv, FullMethod: EchoMethodBrokered}, call)
}

// EchoServiceDesc describes bench.Echo for grpc.Server.RegisterService.
var EchoServiceDesc = grpc.ServiceDesc{
	ServiceName: EchoServiceName,
	HandlerType: (*EchoServer)(nil),
	Methods: []grpc.MethodDesc{
		{MethodName: "Echo", Handler: handleEcho},
		{MethodName: "Brokered", Handler: handleBrokered},
	},
	Streams:  []grpc.StreamDesc{},
	Metadata: "bench.proto",
}

// RegisterEchoServer registers srv as bench.Echo on s.
func RegisterEchoServer(s grpc.ServiceRegistrar, srv EchoServer) {
	s.RegisterService(&EchoServiceDesc, srv)
}

// EchoService is the standard bench.Echo implementation. Brokered needs a
// broker; without one it only echoes.
type EchoService struct {
	Broker *plugin.GRPCBroker
}

// Echo returns its input unchanged.
func (e *EchoService) Echo(_ context.Context, in *wrapperspb.BytesValue) (*wrapperspb.BytesValue, error) {
	return &wrapperspb.BytesValue{Value: in.GetValue()}, nil
}

// Brokered reserves a broker id, serves bench.Echo on it in the background
// and returns the id for the peer to Dial.
func (e *EchoService) Brokered(context.Context, *emptypb.Empty) (*wrapperspb.UInt32Value, error) {
	if e.Broker == nil {
		return nil, status.Error(codes.Unimplemented, "Brokered is not available on a brokered connection")
	}
	id := e.Broker.NextId()
	go e.Broker.AcceptAndServe(id, NewEchoGRPCServer)
	return wrapperspb.UInt32(id), nil
}

// NewEchoGRPCServer is a factory for broker.AcceptAndServe that serves only
// bench.Echo (Brokered is not usable on it since it has no broker).
func NewEchoGRPCServer(opts []grpc.ServerOption) *grpc.Server {
	s := grpc.NewServer(opts...)
	RegisterEchoServer(s, &EchoService{})
	return s
}

// EchoClient is a small client for bench.Echo.
type EchoClient struct {
	cc grpc.ClientConnInterface
}

// NewEchoClient wraps a connection.
func NewEchoClient(cc grpc.ClientConnInterface) *EchoClient {
	return &EchoClient{cc: cc}
}

// Echo sends payload and returns what came back.
func (c *EchoClient) Echo(ctx context.Context, payload []byte, opts ...grpc.CallOption) ([]byte, error) {
	out := new(wrapperspb.BytesValue)
	if err := c.cc.Invoke(ctx, EchoMethodEcho, wrapperspb.Bytes(payload), out, opts...); err != nil {
		return nil, err
	}
	return out.GetValue(), nil
}

// Brokered asks the peer to serve bench.Echo on a fresh broker id.
func (c *EchoClient) Brokered(ctx context.Context, opts ...grpc.CallOption) (uint32, error) {
	out := new(wrapperspb.UInt32Value)
	if err := c.cc.Invoke(ctx, EchoMethodBrokered, &emptypb.Empty{}, out, opts...); err != nil {
		return 0, err
	}
	return out.GetValue(), nil
}
