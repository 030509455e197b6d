import numpy as np

print(np.linalg.norm(np.arange(10)))
