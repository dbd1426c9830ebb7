package shared

import (
	"encoding/json"
	"fmt"
	"net"

	"github.com/hashicorp/go-plugin"
)

// ReattachJSON is the JSON shape of a reattach configuration that Go tooling
// prints for a plugin in debug/test mode (Terraform's TF_REATTACH_PROVIDERS
// entries): go-plugin itself defines no serialisation.
type ReattachJSON struct {
	Protocol        string
	ProtocolVersion int
	Pid             int
	Test            bool
	Addr            struct {
		Network string
		String  string
	}
}

// EncodeReattach turns go-plugin's ReattachConfig into that JSON.
func EncodeReattach(rc *plugin.ReattachConfig) ([]byte, error) {
	var j ReattachJSON
	j.Protocol = string(rc.Protocol)
	j.ProtocolVersion = rc.ProtocolVersion
	j.Pid = rc.Pid
	j.Test = rc.Test
	j.Addr.Network = rc.Addr.Network()
	j.Addr.String = rc.Addr.String()
	return json.Marshal(j)
}

// DecodeReattach parses that JSON into go-plugin's ReattachConfig.
func DecodeReattach(b []byte) (*plugin.ReattachConfig, error) {
	var j ReattachJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return nil, err
	}
	var addr net.Addr
	var err error
	switch j.Addr.Network {
	case "unix":
		addr, err = net.ResolveUnixAddr("unix", j.Addr.String)
	case "tcp":
		addr, err = net.ResolveTCPAddr("tcp", j.Addr.String)
	default:
		err = fmt.Errorf("unknown network %q", j.Addr.Network)
	}
	if err != nil {
		return nil, err
	}
	return &plugin.ReattachConfig{
		Protocol:        plugin.Protocol(j.Protocol),
		ProtocolVersion: j.ProtocolVersion,
		Pid:             j.Pid,
		Test:            j.Test,
		Addr:            addr,
	}, nil
}
