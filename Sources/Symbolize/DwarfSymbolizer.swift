import CLibdw
import StackFold
import TraceParse

// Placeholder: the libdw symbolizer is being written (issue 6).
