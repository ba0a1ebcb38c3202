# Merge every `molingo_ros` directory on sys.path (the source tree and the rosidl-generated
# interfaces installed into the environment) into one package. Keep this file free of other code.
__path__ = __import__("pkgutil").extend_path(__path__, __name__)
