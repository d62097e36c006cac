// Command nsmprobe is an ordinary Go enclave program: it talks to /dev/nsm with the raw ioctl
// (as github.com/hf/nsm does) and to the parent over AF_VSOCK with github.com/mdlayher/vsock. It
// knows nothing about nitro-emu. Its command line and output follow the program contract in the
// module README.
package main

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"unsafe"

	"github.com/fxamacker/cbor/v2"
	"github.com/mdlayher/vsock"
	"golang.org/x/sys/unix"
)

const (
	nsmIoctlRaw     = 0xC0200A00
	maxResponseSize = 0x3000
	echoBytes       = 65536
)

// nsmRaw is the driver's struct nsm_raw: two iovecs, request then response.
type nsmRaw struct {
	requestAddr  uint64
	requestLen   uint64
	responseAddr uint64
	responseLen  uint64
}

type describe struct {
	Digest     string   `cbor:"digest"`
	MaxPCRs    uint16   `cbor:"max_pcrs"`
	ModuleID   string   `cbor:"module_id"`
	LockedPCRs []uint16 `cbor:"locked_pcrs"`
}

type response struct {
	DescribeNSM *describe `cbor:"DescribeNSM"`
	ExtendPCR   *struct {
		Data []byte `cbor:"data"`
	} `cbor:"ExtendPCR"`
	GetRandom *struct {
		Random []byte `cbor:"random"`
	} `cbor:"GetRandom"`
	Attestation *struct {
		Document []byte `cbor:"document"`
	} `cbor:"Attestation"`
	Error *string `cbor:"Error"`
	// Unit is a response that is a bare variant name, such as "LockPCR".
	Unit string `cbor:"-"`
}

var out sync.Mutex

func say(format string, args ...interface{}) {
	out.Lock()
	defer out.Unlock()
	fmt.Fprintf(os.Stdout, format+"\n", args...)
	os.Stdout.Sync()
}

func fail(step string, err error) {
	say("error step=%s detail=%s", step, strings.ReplaceAll(err.Error(), "\n", " "))
	os.Exit(1)
}

func call(fd int, request interface{}) (*response, []byte, error) {
	encoded, err := cbor.Marshal(request)
	if err != nil {
		return nil, nil, err
	}
	reply := make([]byte, maxResponseSize)
	raw := nsmRaw{
		requestAddr:  uint64(uintptr(unsafe.Pointer(&encoded[0]))),
		requestLen:   uint64(len(encoded)),
		responseAddr: uint64(uintptr(unsafe.Pointer(&reply[0]))),
		responseLen:  uint64(len(reply)),
	}
	_, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), nsmIoctlRaw, uintptr(unsafe.Pointer(&raw)))
	if errno != 0 {
		return nil, nil, errno
	}
	reply = reply[:raw.responseLen]
	var decoded response
	if cbor.Unmarshal(reply, &decoded.Unit) == nil {
		return &decoded, reply, nil
	}
	if err := cbor.Unmarshal(reply, &decoded); err != nil {
		return nil, nil, fmt.Errorf("response: %w", err)
	}
	return &decoded, reply, nil
}

func extend(fd int, data []byte) (*response, error) {
	r, _, err := call(fd, map[string]interface{}{
		"ExtendPCR": map[string]interface{}{"index": uint16(16), "data": data},
	})
	return r, err
}

func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i % 251)
	}
	return b
}

// served is what the server goroutine saw, printed by main after the client echo (the contract's
// order).
type served struct {
	peerCID, localPort uint32
	bytes              int64
	err                error
}

func serveOnce(listener *vsock.Listener, done chan<- served) {
	conn, err := listener.Accept()
	if err != nil {
		done <- served{err: fmt.Errorf("accept: %w", err)}
		return
	}
	defer conn.Close()
	result := served{
		peerCID:   conn.RemoteAddr().(*vsock.Addr).ContextID,
		localPort: conn.LocalAddr().(*vsock.Addr).Port,
	}
	result.bytes, err = io.Copy(conn, conn)
	if err != nil {
		result.err = fmt.Errorf("echo: %w", err)
	}
	done <- result
}

func echoClient(port uint32) {
	conn, err := vsock.Dial(3, port, nil)
	if err != nil {
		fail("echo-client", err)
	}
	defer conn.Close()
	local := conn.LocalAddr().(*vsock.Addr)
	peer := conn.RemoteAddr().(*vsock.Addr)
	say("client local_cid=%d peer_cid=%d peer_port=%d", local.ContextID, peer.ContextID, peer.Port)
	sent := pattern(echoBytes)
	writeErr := make(chan error, 1)
	go func() {
		_, err := conn.Write(sent)
		writeErr <- err
	}()
	got := make([]byte, echoBytes)
	if _, err := io.ReadFull(conn, got); err != nil {
		fail("echo-client", err)
	}
	if err := <-writeErr; err != nil {
		fail("echo-client", err)
	}
	if !bytes.Equal(sent, got) {
		fail("echo-client", fmt.Errorf("echoed bytes differ"))
	}
	say("echo-client bytes=%d ok", echoBytes)
}

func port(arg string) uint32 {
	p, err := strconv.ParseUint(arg, 10, 32)
	if err != nil {
		fail("arguments", err)
	}
	return uint32(p)
}

func main() {
	if len(os.Args) != 4 {
		fail("arguments", fmt.Errorf("usage: nsmprobe NONCE_HEX ECHO_PORT LISTEN_PORT"))
	}
	nonce, err := hex.DecodeString(os.Args[1])
	if err != nil || len(nonce) == 0 || len(nonce) > 64 {
		fail("arguments", fmt.Errorf("nonce must be 1..64 bytes of hex"))
	}
	echoPort, listenPort := port(os.Args[2]), port(os.Args[3])

	listener, err := vsock.Listen(listenPort, nil)
	if err != nil {
		fail("listen", err)
	}
	say("listening port=%d", listenPort)
	server := make(chan served, 1)
	go serveOnce(listener, server)

	fd, err := unix.Open("/dev/nsm", unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		fail("open", err)
	}
	r, _, err := call(fd, "DescribeNSM")
	if err != nil || r.DescribeNSM == nil {
		fail("describe", fmt.Errorf("%v %v", err, r))
	}
	locked := make([]string, len(r.DescribeNSM.LockedPCRs))
	for i, p := range r.DescribeNSM.LockedPCRs {
		locked[i] = strconv.Itoa(int(p))
	}
	say("describe digest=%s max_pcrs=%d module_id=%s locked=%s", r.DescribeNSM.Digest,
		r.DescribeNSM.MaxPCRs, r.DescribeNSM.ModuleID, strings.Join(locked, ","))

	data := []byte("nitro-emu")
	r, err = extend(fd, data)
	if err != nil || r.ExtendPCR == nil {
		fail("extend", fmt.Errorf("%v %v", err, r))
	}
	say("extend pcr=16 data=%s value=%s", hex.EncodeToString(data), hex.EncodeToString(r.ExtendPCR.Data))

	r, _, err = call(fd, map[string]interface{}{"LockPCR": map[string]interface{}{"index": uint16(16)}})
	if err != nil || r.Unit != "LockPCR" {
		fail("lock", fmt.Errorf("%v %v", err, r))
	}
	say("lock pcr=16")
	r, err = extend(fd, data)
	if err != nil || r.Error == nil {
		fail("extend-after-lock", fmt.Errorf("%v %v", err, r))
	}
	say("extend-after-lock error=%s", *r.Error)

	r, _, err = call(fd, "GetRandom")
	if err != nil || r.GetRandom == nil {
		fail("random", fmt.Errorf("%v %v", err, r))
	}
	say("random bytes=%s", hex.EncodeToString(r.GetRandom.Random))

	r, _, err = call(fd, map[string]interface{}{"Attestation": map[string]interface{}{
		"user_data": nil, "nonce": nonce, "public_key": nil}})
	if err != nil || r.Attestation == nil {
		fail("attestation", fmt.Errorf("%v %v", err, r))
	}
	say("attestation doc=%s", base64.StdEncoding.EncodeToString(r.Attestation.Document))
	unix.Close(fd)

	echoClient(echoPort)
	result := <-server
	if result.err != nil {
		fail("echo-server", result.err)
	}
	say("server peer_cid=%d local_port=%d", result.peerCID, result.localPort)
	say("echo-server bytes=%d ok", result.bytes)
	listener.Close()
	say("done")
}
