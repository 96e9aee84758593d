import CLibbpf
import TraceParse

// Placeholder: the libbpf recorder is being written (issue 4).
