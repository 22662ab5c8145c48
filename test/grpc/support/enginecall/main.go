// enginecall makes unary gRPC calls with grpc-go, the gRPC implementation of the Pulumi engine,
// on behalf of the test harness in ../providerHost.ts. Requests and responses stay opaque bytes:
// the harness encodes and decodes them with @pulumi/pulumi's generated messages.
//
// The harness needs it because a failed create's partial state travels in the
// grpc-status-details-bin trailer with the serialized provider inside it (about 100 KiB), and
// Node's HTTP/2 (nghttp2) ends the connection with COMPRESSION_ERROR on a header field that
// long, after which a grpc-js call never settles. grpc-go, like the engine, accepts it.
//
// Usage: enginecall <host:port>. Reads one JSON request a line on stdin,
// {"id": 1, "method": "/pulumirpc.ResourceProvider/Create", "request": "<base64>", "timeoutSeconds": 600},
// and writes one JSON answer a line on stdout,
// {"id": 1, "code": 0, "message": "", "response": "<base64>", "status": "<base64 google.rpc.Status>"}.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// rawCodec passes already-encoded protobuf messages through unchanged.
type rawCodec struct{}

func (rawCodec) Marshal(v any) ([]byte, error) { return *(v.(*[]byte)), nil }
func (rawCodec) Unmarshal(data []byte, v any) error {
	*(v.(*[]byte)) = append([]byte(nil), data...)
	return nil
}
func (rawCodec) Name() string { return "proto" }

type request struct {
	ID             int    `json:"id"`
	Method         string `json:"method"`
	Request        []byte `json:"request"`
	TimeoutSeconds int    `json:"timeoutSeconds"`
}

type answer struct {
	ID       int    `json:"id"`
	Code     int    `json:"code"`
	Message  string `json:"message"`
	Response []byte `json:"response,omitempty"`
	Status   []byte `json:"status,omitempty"`
}

const maxMessage = 400 * 1024 * 1024

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: enginecall <host:port>")
		os.Exit(2)
	}
	conn, err := grpc.NewClient(os.Args[1],
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.ForceCodec(rawCodec{}), grpc.MaxCallRecvMsgSize(maxMessage), grpc.MaxCallSendMsgSize(maxMessage)),
	)
	if err != nil {
		fmt.Fprintf(os.Stderr, "enginecall: cannot dial %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
	defer conn.Close()

	var out sync.Mutex
	encoder := json.NewEncoder(os.Stdout)
	var calls sync.WaitGroup
	lines := bufio.NewScanner(os.Stdin)
	lines.Buffer(make([]byte, 1024*1024), maxMessage)
	for lines.Scan() {
		var req request
		if err := json.Unmarshal(lines.Bytes(), &req); err != nil {
			fmt.Fprintf(os.Stderr, "enginecall: bad request line: %v\n", err)
			os.Exit(1)
		}
		calls.Add(1)
		go func() {
			defer calls.Done()
			ans := call(conn, req)
			out.Lock()
			defer out.Unlock()
			if err := encoder.Encode(ans); err != nil {
				fmt.Fprintf(os.Stderr, "enginecall: cannot write answer: %v\n", err)
				os.Exit(1)
			}
		}()
	}
	calls.Wait()
}

func call(conn *grpc.ClientConn, req request) answer {
	timeout := time.Duration(req.TimeoutSeconds) * time.Second
	if timeout <= 0 {
		timeout = 10 * time.Minute
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	in := req.Request
	var resp []byte
	err := conn.Invoke(ctx, req.Method, &in, &resp)
	if err == nil {
		return answer{ID: req.ID, Response: resp}
	}
	st := status.Convert(err)
	details, _ := proto.Marshal(st.Proto())
	return answer{ID: req.ID, Code: int(st.Code()), Message: st.Message(), Status: details}
}
