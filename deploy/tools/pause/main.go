// The pod sandbox process of the test cluster (tests/support/kube_cluster.py): what the
// upstream pause image does, written here because no image registry is reachable. It holds
// the pod's namespaces open, reaps orphans (it is PID 1 of a shared PID namespace), and exits
// on SIGINT/SIGTERM.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	signals := make(chan os.Signal, 16)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM, syscall.SIGCHLD)
	for sig := range signals {
		if sig != syscall.SIGCHLD {
			os.Exit(0)
		}
		for {
			pid, err := syscall.Wait4(-1, nil, syscall.WNOHANG, nil)
			if pid <= 0 || err != nil {
				break
			}
		}
	}
}
