import os

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

# Start-up hook that registers the plugin in ppdet when a program imports ppdet (see ppdet_deepsort_autoload.py).
AUTOLOAD_PTH = 'ppdet_deepsort_autoload.pth'


class BuildPyWithAutoload(build_py):
    """Also put the start-up hook at the root of the wheel, so it lands in site-packages and in the installed
    file list (pip uninstall removes it). An editable wheel is made of the install folder, not build_lib."""

    def run(self):
        super().run()
        root = self.get_finalized_command('install').install_lib if self.editable_mode else self.build_lib
        self.copy_file(AUTOLOAD_PTH, os.path.join(root, AUTOLOAD_PTH), preserve_mode=False)


with open('README.md', encoding='utf-8') as f:
    long_description = f.read()

setup(
    name='ppdet-deepsort',
    version='0.1.0',
    description='DeepSORT tracker, PCB Pyramid ReID and saved-detection datasets for PaddleDetection',
    long_description=long_description,
    long_description_content_type='text/markdown',
    license='Apache-2.0',
    packages=find_packages(include=['ppdet_deepsort', 'ppdet_deepsort.*']),
    py_modules=['ppdet_deepsort_autoload'],
    cmdclass={'build_py': BuildPyWithAutoload},
    python_requires='>=3.8,<3.12',  # paddledet 2.6 pins numpy<1.24, which has no wheels past Python 3.11
    install_requires=[
        'paddledet==2.6.0',  # the plugin registers into, and is tested against, this release's internals
        'scikit-learn',  # imported by ppdet 2.6 but not declared by it
        'typeguard>=4',
        'motmetrics',  # the ppdet metrics convention: ppdet's evaluator is built on it
        'matplotlib',  # hota_alpha.png
        'opencv-python',
        'numpy',
        'scipy',
        'tqdm',
        'PyYAML',
        'onnxruntime',  # the CPU runtime of the ReID model (reid_backend: auto)
        'paddle2onnx==2.1.0',  # paddle 3 exports to ONNX; the version the conversion fixes were measured on
        'packaging',  # imported by paddle2onnx 2.1 but not declared by it
        'onnx',  # imported by onnxruntime.quantization (int8 ReID) and the leaky ReLU fix, not declared by either
        'ml_dtypes',  # imported by onnxruntime.quantization since onnxruntime 1.32, not declared by it
    ],
    extras_require={
        # paddlepaddle is left to the user, as PaddleDetection does: `[cpu]` here, or paddlepaddle-gpu for CUDA.
        'cpu': ['paddlepaddle>=3'],
        # tools/tune_tracker.py --sampler optuna
        'tune': ['optuna'],
        # psutil: to find a launcher's worker to kill; ruff: the linter .ci/run runs; optuna: the tuner's sampler
        'test': ['paddlepaddle>=3', 'pytest', 'psutil', 'ruff', 'optuna'],
    },
    classifiers=[
        'Programming Language :: Python :: 3',
        'License :: OSI Approved :: Apache Software License',
        'Topic :: Scientific/Engineering :: Image Recognition',
    ],
)
