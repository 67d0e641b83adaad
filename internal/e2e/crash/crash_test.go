// Package crash kills a real sluice process in the middle of a large upload
// and checks that, after a restart, the index is consistent and the same
// file can be uploaded again.
package crash

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sluice-pkg/sluice/internal/testpkg"
)

type instance struct {
	bin, cfg, url, data string
	cmd                 *exec.Cmd
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func setup(t *testing.T) *instance {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "sluice")
	build := exec.Command("go", "build", "-o", bin, "github.com/sluice-pkg/sluice/cmd/sluice")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	port := freePort(t)
	in := &instance{bin: bin, cfg: filepath.Join(dir, "sluice.yaml"), url: fmt.Sprintf("http://127.0.0.1:%d", port), data: filepath.Join(dir, "data")}
	cfg := fmt.Sprintf("listen: 127.0.0.1:%d\ndata_dir: %s\nrepositories:\n  local: {type: hosted}\nindexes:\n  - {path: /simple/, repository: local, upload: local}\n", port, in.data)
	if err := os.WriteFile(in.cfg, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	add := exec.Command(bin, "user", "add", "ci", "--role", "uploader", "--password-stdin", "--config", in.cfg)
	add.Stdin = strings.NewReader("crash-test-secret")
	if out, err := add.CombinedOutput(); err != nil {
		t.Fatalf("user add: %v\n%s", err, out)
	}
	return in
}

func (in *instance) start(t *testing.T) {
	t.Helper()
	in.cmd = exec.Command(in.bin, "serve", "--config", in.cfg)
	in.cmd.Stdout, in.cmd.Stderr = io.Discard, io.Discard
	if err := in.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { in.cmd.Process.Kill(); in.cmd.Wait() })
	for range 100 {
		if r, err := http.Get(in.url + "/healthz"); err == nil {
			r.Body.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("sluice did not start")
}

// uploadRequest returns a twine-shaped upload whose body is read from r.
func (in *instance) uploadRequest(t *testing.T, name string, content io.Reader) (*http.Request, *io.PipeWriter) {
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		mw.WriteField(":action", "file_upload")
		mw.WriteField("protocol_version", "1")
		part, _ := mw.CreateFormFile("content", name)
		if _, err := io.Copy(part, content); err != nil {
			pw.CloseWithError(err)
			return
		}
		pw.CloseWithError(mw.Close())
	}()
	req, _ := http.NewRequest(http.MethodPost, in.url+"/legacy/", pr)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.SetBasicAuth("ci", "crash-test-secret")
	return req, pw
}

func spooled(t *testing.T, dir string) []string {
	var out []string
	for _, d := range []string{filepath.Join(dir, "tmp"), filepath.Join(dir, "blobs", "tmp")} {
		entries, _ := os.ReadDir(d)
		for _, e := range entries {
			out = append(out, filepath.Join(d, e.Name()))
		}
	}
	return out
}

func TestKillDuringUpload(t *testing.T) {
	in := setup(t)
	in.start(t)
	d := testpkg.Dist{Name: "acme-crash-probe", Version: "1.0", Payload: "# " + strings.Repeat("0123456789abcdef", 1<<20)}
	whl := d.Wheel()
	sum := sha256.Sum256(whl)
	want := hex.EncodeToString(sum[:])

	// Send the first half, wait until the server has spooled some of it,
	// then kill it without warning.
	stalled := make(stall)
	defer close(stalled)
	half := io.MultiReader(bytes.NewReader(whl[:len(whl)/2]), stalled)
	req, pw := in.uploadRequest(t, d.WheelName(), half)
	done := make(chan error, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			err = fmt.Errorf("the upload finished: %s", resp.Status)
		}
		done <- err
	}()
	deadline := time.Now().Add(20 * time.Second)
	for len(spooled(t, in.data)) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the upload never reached the spool")
		}
		time.Sleep(20 * time.Millisecond)
	}
	in.cmd.Process.Signal(syscall.SIGKILL)
	in.cmd.Wait()
	pw.CloseWithError(io.ErrClosedPipe)
	if err := <-done; err == nil {
		t.Fatal("the interrupted upload succeeded")
	}
	leftovers := spooled(t, in.data)
	if len(leftovers) == 0 {
		t.Fatal("no spooled file: the server was not killed in the middle of the upload")
	}
	// Make the leftovers look old, as after a real crash, so the restart
	// gives their space back.
	old := time.Now().Add(-2 * time.Hour)
	for _, f := range leftovers {
		os.Chtimes(f, old, old)
	}

	in.start(t)
	r, err := http.Get(in.url + "/simple/acme-crash-probe/")
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != http.StatusNotFound {
		t.Fatalf("after the crash the project page is %d; the half-received file must leave no trace", r.StatusCode)
	}
	if left := spooled(t, in.data); len(left) != 0 {
		t.Fatalf("stale spooled files survive a restart: %v", left)
	}
	if _, err := os.Stat(filepath.Join(in.data, "blobs", "sha256", want[:2], want[2:4], want)); err == nil {
		t.Fatal("a blob of the interrupted upload exists")
	}

	// The same file uploads again, completely, and is served intact.
	req, _ = in.uploadRequest(t, d.WheelName(), bytes.NewReader(whl))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("upload after restart: %s %s", resp.Status, body)
	}
	req, _ = http.NewRequest(http.MethodGet, in.url+"/simple/acme-crash-probe/", nil)
	req.Header.Set("Accept", "application/vnd.pypi.simple.v1+json")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var page struct {
		Files []struct {
			Filename string            `json:"filename"`
			Hashes   map[string]string `json:"hashes"`
			URL      string            `json:"url"`
		} `json:"files"`
	}
	json.NewDecoder(resp.Body).Decode(&page)
	resp.Body.Close()
	if len(page.Files) != 1 || page.Files[0].Hashes["sha256"] != want {
		t.Fatalf("page after re-upload: %+v", page)
	}
	resp, err = http.Get(in.url + page.Files[0].URL)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Equal(got, whl) {
		t.Fatalf("downloaded %d bytes, want the %d uploaded", len(got), len(whl))
	}
}

// stall stands for a client that stops sending mid-upload; closing it
// ends the stall (at the end of the test).
type stall chan struct{}

func (s stall) Read([]byte) (int, error) {
	<-s
	return 0, io.ErrUnexpectedEOF
}
