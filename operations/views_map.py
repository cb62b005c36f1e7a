"""The maps' own base layer, served by the app: tiles from the local MBTiles file and the
kelurahan areas (operations/mapdata.py). For whoever may open a situation map."""

from django.http import Http404, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from core.access import CAN_READ_SITUATION_MAP, role_required
from operations.mapdata import boundaries, tile_read


@require_GET
@role_required(*CAN_READ_SITUATION_MAP)
def map_tile(request, z: int, x: int, y: int):
    found = tile_read(z, x, y)
    if found is None:
        raise Http404("no such tile")
    data, content_type = found
    response = HttpResponse(data, content_type=content_type)
    # Tiles change only when the file is made again: the browser keeps them a day.
    response["Cache-Control"] = "private, max-age=86400"
    return response


@require_GET
@role_required(*CAN_READ_SITUATION_MAP)
def map_boundaries(request):
    response = JsonResponse(boundaries())
    response["Cache-Control"] = "private, max-age=3600"
    return response
