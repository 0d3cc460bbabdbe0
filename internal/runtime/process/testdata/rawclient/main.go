// Command rawclient is a minimal Runtime API client: one goroutine, one
// keep-alive connection, hand-written HTTP/1.1, no aws-lambda-go. It answers
// every event with hello-go's reply and prints one log line per event. The
// benchmarks use it to measure the platform side of a warm invoke apart from
// aws-lambda-go's own cost.
package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
)

func main() {
	host, prefix, _ := strings.Cut(os.Getenv("AWS_LAMBDA_RUNTIME_API"), "/")
	c, err := net.Dial("tcp", host)
	if err != nil {
		fail(err)
	}
	br := bufio.NewReader(c)
	base := "/" + prefix + "/2018-06-01/runtime/invocation/"
	reply := `{"message":"Hello, world!"}`
	next := []byte("GET " + base + "next HTTP/1.1\r\nHost: " + host + "\r\n\r\n")
	for {
		if _, err := c.Write(next); err != nil {
			fail(err)
		}
		hdr := readHead(br)
		if _, err := io.CopyN(io.Discard, br, int64(atoi(hdr["content-length"]))); err != nil {
			fail(err)
		}
		os.Stdout.WriteString("greeting world\n")
		post := "POST " + base + hdr["lambda-runtime-aws-request-id"] + "/response HTTP/1.1\r\nHost: " + host +
			"\r\nContent-Length: " + strconv.Itoa(len(reply)) + "\r\n\r\n" + reply
		if _, err := c.Write([]byte(post)); err != nil {
			fail(err)
		}
		hdr = readHead(br)
		if _, err := io.CopyN(io.Discard, br, int64(atoi(hdr["content-length"]))); err != nil {
			fail(err)
		}
	}
}

// readHead reads a response's status line and headers (keys lower-cased).
func readHead(br *bufio.Reader) map[string]string {
	hdr := map[string]string{}
	if _, err := br.ReadString('\n'); err != nil {
		fail(err)
	}
	for {
		l, err := br.ReadString('\n')
		if err != nil {
			fail(err)
		}
		if l == "\r\n" {
			return hdr
		}
		k, v, _ := strings.Cut(l, ":")
		hdr[strings.ToLower(k)] = strings.TrimSpace(v)
	}
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "rawclient:", err)
	os.Exit(1)
}
