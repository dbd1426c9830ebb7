package main

// A static capabilities registry for -registry: the node, DONs and capability
// config the TS test (test/loop-ts-relayer.test.ts) gives its in-memory
// registry, served through chainlink-common's own registry server so that a
// TypeScript relayer's registry client is checked against Go. Get/List/Add/
// Remove stay chainlink-common's unimplemented ones.

import (
	"context"
	"fmt"

	p2ptypes "github.com/smartcontractkit/libocr/ragep2p/types"

	"github.com/smartcontractkit/chainlink-common/pkg/capabilities"
	"github.com/smartcontractkit/chainlink-common/pkg/types/core"
)

// hostRegistry is what NewRelayerService serves on capabilityRegistryID.
var hostRegistry core.CapabilitiesRegistry = core.UnimplementedCapabilitiesRegistry{}

type staticRegistry struct {
	core.UnimplementedCapabilitiesRegistry
}

const registryCapability = "cap@1.0.0"

func fill32(b byte) (out [32]byte) {
	for i := range out {
		out[i] = b
	}
	return out
}

func registryNode() capabilities.Node {
	pid := p2ptypes.PeerID(fill32(1))
	don := capabilities.DON{ID: 1, Name: "workflow", Members: []p2ptypes.PeerID{p2ptypes.PeerID(fill32(1)), p2ptypes.PeerID(fill32(2))}, F: 1, ConfigVersion: 3, Families: []string{"a"}, Config: []byte{9}}
	return capabilities.Node{PeerID: &pid, NodeOperatorID: 42, Signer: fill32(5), EncryptionPublicKey: fill32(6), WorkflowDON: don, CapabilityDONs: []capabilities.DON{don}}
}

func (staticRegistry) LocalNode(context.Context) (capabilities.Node, error) {
	return registryNode(), nil
}

func (staticRegistry) NodeByPeerID(_ context.Context, peerID p2ptypes.PeerID) (capabilities.Node, error) {
	n := registryNode()
	if peerID != *n.PeerID {
		return capabilities.Node{}, fmt.Errorf("node not found for peerID %x", peerID[:])
	}
	return n, nil
}

func (staticRegistry) DONsForCapability(_ context.Context, id string) ([]capabilities.DONWithNodes, error) {
	if id != registryCapability {
		return nil, nil
	}
	n := registryNode()
	return []capabilities.DONWithNodes{{DON: n.WorkflowDON, Nodes: []capabilities.Node{n}}}, nil
}

func (staticRegistry) ConfigForCapability(_ context.Context, id string, donID uint32) (capabilities.CapabilityConfiguration, error) {
	if id != registryCapability || donID != 1 {
		return capabilities.CapabilityConfiguration{}, fmt.Errorf("no config for capability %s on DON %d", id, donID)
	}
	return capabilities.CapabilityConfiguration{LocalOnly: true, RestrictedKeys: []string{"k"}, RemoteTargetConfig: &capabilities.RemoteTargetConfig{}}, nil
}
